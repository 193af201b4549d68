import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 (port 0) whose answers come from a closure: the
/// stand-in for the instance metadata service, the container endpoint, a scripted STS and the
/// fake Kinesis endpoint. It remembers every request.
public final class FakeHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        /// Names lower-cased.
        public var headers: [String: String]
        public var bodyBytes: [UInt8]
        /// The body as UTF-8 text.
        public var body: String { String(decoding: bodyBytes, as: UTF8.self) }

        public init(method: String, uri: String, headers: [String: String], body: [UInt8]) {
            self.method = method
            self.uri = uri
            self.headers = headers
            bodyBytes = body
        }

        public init(method: String, uri: String, headers: [String: String], body: String) {
            self.init(method: method, uri: uri, headers: headers, body: Array(body.utf8))
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        /// Sent as they are; without a Content-Type one is guessed (XML for a body starting with `<`, else JSON).
        public var headers: [(String, String)]
        /// How long to wait before answering.
        public var delay: Duration?
        /// Close the connection instead of answering (a server that went away mid-request).
        public var dropsConnection = false

        public init(_ status: Int = 200, _ body: String = "", delay: Duration? = nil) {
            self.init(status: status, body: Array(body.utf8), delay: delay)
        }

        public init(status: Int, body: [UInt8], headers: [(String, String)] = [], delay: Duration? = nil) {
            self.status = status
            self.body = body
            self.headers = headers
            self.delay = delay
        }

        /// No answer: the connection is closed.
        public static func dropConnection(delay: Duration? = nil) -> Response {
            var response = Response(status: 0, body: [], delay: delay)
            response.dropsConnection = true
            return response
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    public let port: Int
    private let channel: any Channel
    private let log = Mutex<[Request]>([])

    public var requests: [Request] { log.withLock { $0 } }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    public static func start(_ handler: @escaping Handler) async throws -> FakeHTTPServer {
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

    /// Stops accepting connections (open keep-alive connections end when their client closes them).
    public func stop() async {
        try? await channel.close()
    }

    /// `stop()` without waiting for the listening socket to close, for a `defer`.
    public func close() {
        channel.close(promise: nil)
    }
}

/// Collects one request and writes the closure's answer.
private final class FakeHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: FakeHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(handler: @escaping FakeHTTPServer.Handler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let request = FakeHTTPServer.Request(method: head.method.rawValue, uri: head.uri, headers: headers, body: body)
            body = []
            let keepAlive = head.isKeepAlive
            let promise = context.eventLoop.makePromise(of: FakeHTTPServer.Response.self)
            let handler = self.handler
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let context = bound.value
                guard context.channel.isActive else { return }
                if response.dropsConnection {
                    context.close(promise: nil)
                    return
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: String(response.body.count))
                for (name, value) in response.headers { headers.add(name: name, value: value) }
                if !headers.contains(name: "Content-Type") {
                    headers.add(name: "Content-Type", value: response.body.first == UInt8(ascii: "<") ? "text/xml" : "application/json")
                }
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                let responseHead = HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
                context.write(NIOAny(HTTPServerResponsePart.head(responseHead)), promise: nil)
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                    if !keepAlive { bound.value.close(promise: nil) }
                }
            }
        }
    }
}
