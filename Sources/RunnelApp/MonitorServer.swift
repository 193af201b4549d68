import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A small HTTP/1.1 server for the monitoring endpoints. Each request is answered by `route`,
/// which maps a path to a status, content type and body.
struct MonitorServer: Sendable {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]
    }

    var host: String
    var port: Int
    var logger: Logger
    var route: @Sendable (String) -> Response

    /// Serves until graceful shutdown. `onBound` receives the bound port (useful with port 0).
    func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        onBound(server.channel.localAddress?.port ?? port)
        logger.info("monitoring endpoint listening", metadata: ["monitor.address": "\(host):\(server.channel.localAddress?.port ?? port)"])
        let route = self.route
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await MonitorServer.serve(connection, route: route) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, route: @Sendable (String) -> Response) async {
        try? await connection.executeThenClose { inbound, outbound in
            var path = "/"
            var keepAlive = true
            for try await part in inbound {
                switch part {
                case .head(let head):
                    path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
                    keepAlive = head.isKeepAlive
                case .body:
                    continue
                case .end:
                    let response = route(path)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    if !keepAlive { return }
                }
            }
        }
    }
}
