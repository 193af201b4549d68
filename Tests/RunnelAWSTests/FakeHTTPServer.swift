import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 (port 0) whose answers come from a closure: the
/// stand-in for the instance metadata service, the container endpoint and a scripted STS.
final class FakeHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: String
    }

    struct Response: Sendable {
        var status: Int
        var body: String
        var delay: Duration?

        init(_ status: Int = 200, _ body: String = "", delay: Duration? = nil) {
            self.status = status
            self.body = body
            self.delay = delay
        }
    }

    typealias Handler = @Sendable (Request) async -> Response

    let port: Int
    private let channel: any Channel
    private let log = Mutex<[Request]>([])

    var requests: [Request] { log.withLock { $0 } }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(_ handler: @escaping Handler) async throws -> FakeHTTPServer {
        let box = Mutex<FakeHTTPServer?>(nil)
        let recordingHandler: Handler = { request in
            box.withLock { $0 }?.log.withLock { $0.append(request) }
            let response = await handler(request)
            if let delay = response.delay { try? await Task.sleep(for: delay) }
            return response
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakeHTTPHandler(handler: recordingHandler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeHTTPServer(port: channel.localAddress!.port!, channel: channel)
        box.withLock { $0 = server }
        return server
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Collects one request and writes the closure's answer.
private final class FakeHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: FakeHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body = ""

    init(handler: @escaping FakeHTTPServer.Handler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let request = FakeHTTPServer.Request(method: head.method.rawValue, uri: head.uri, headers: headers, body: body)
            let keepAlive = head.isKeepAlive
            let promise = context.eventLoop.makePromise(of: FakeHTTPServer.Response.self)
            let handler = self.handler
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let context = bound.value
                guard context.channel.isActive else { return }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                headers.add(name: "Content-Type", value: response.body.hasPrefix("<") ? "text/xml" : "application/json")
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                let responseHead = HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
                context.write(NIOAny(HTTPServerResponsePart.head(responseHead)), promise: nil)
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                    if !keepAlive { bound.value.close(promise: nil) }
                }
            }
        }
    }
}
