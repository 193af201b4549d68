import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RunnelNetwork
import ServiceLifecycle

/// A small HTTP/1.1 server: binds a host and port, routes each request by method and path to an
/// async handler (`HTTPRouter`), keeps connections alive between requests, and on graceful
/// shutdown stops accepting, answers the requests in flight and closes every connection.
///
/// A connection is NIO's HTTP/1 server pipeline (which also answers malformed requests with 400
/// and orders pipelined ones), an idle timeout and an `NIOAsyncChannel`; reading the body and
/// calling the handler is straight-line async code, one request at a time, so while a handler
/// is suspended the connection stops reading.
public struct HTTPServer: Sendable {
    public struct Configuration: Sendable {
        /// Address to listen on: `0.0.0.0`, `127.0.0.1`, `::`, or a name this host resolves.
        public var host: String
        /// 0 lets the system choose (the bound address is passed to `run`'s `onBound`).
        public var port: Int
        /// A larger body is answered 413 and its connection closed (Fluentd in_http's
        /// `body_size_limit` default, 32 MiB).
        public var maxRequestBodySize = 32 * 1024 * 1024
        /// A connection that sends nothing for this long is closed once its response is out.
        /// Longer than Prometheus' default 60 s scrape interval, so a scraper's next request does
        /// not meet a connection closing at the same moment.
        public var idleTimeout: TimeAmount = .seconds(120)
        public var backlog: Int32 = 256
        /// Serves HTTPS with this context (in_http's `<transport tls>`).
        public var tls: NIOSSLContext?
        /// A socket already bound and listening to serve from instead of binding `host`/`port`
        /// (one kept open across a reload); called once, when the server starts.
        public var listeningSocket: (@Sendable () throws -> NIOBSDSocket.Handle)?

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public var configuration: Configuration
    public var router: HTTPRouter
    public var logger: Logger
    var group: any EventLoopGroup

    public init(
        configuration: Configuration, router: HTTPRouter, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.group = group
    }

    /// Serves until graceful shutdown (or cancellation). `onBound` receives the address once it
    /// is listening. Throws `HTTPServerError` when it cannot listen (the port is taken, say).
    public func run(onBound: @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        let acceptor = Acceptor(channel: { $0 })
        let server = try await bind(acceptor)
        if let address = server.channel.localAddress { onBound(address) }
        logger.debug("HTTP server listening", metadata: ["http.address": "\(server.channel.localAddress.map { "\($0)" } ?? "?")"])
        try await acceptor.run(server) { connection in await self.serve(connection) }
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Acceptor = ConnectionAcceptor<Connection, HTTPServerRequestPart, HTTPServerResponsePart>

    private func bind(_ acceptor: Acceptor) async throws -> NIOAsyncChannel<Connection, Never> {
        let (host, port, idleTimeout, tls) = (configuration.host, configuration.port, configuration.idleTimeout, configuration.tls)
        let initializer = acceptor.initializer { channel in
            let sync = channel.pipeline.syncOperations
            if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
            try sync.addHandler(IdleStateHandler(readTimeout: idleTimeout))
            try sync.addHandler(HTTPQuiescingHandler())
            try sync.configureHTTPServerPipeline()
            return try Connection(wrappingChannelSynchronously: channel)
        }
        do {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: configuration.backlog)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            if let listeningSocket = configuration.listeningSocket {
                return try await bootstrap.bind(try listeningSocket(), childChannelInitializer: initializer)
            }
            let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
            return try await bootstrap.bind(to: address, childChannelInitializer: initializer)
        } catch {
            throw HTTPServerError.listening(error, host: host, port: port)
        }
    }

    /// Serves one connection until the client closes it, asks to, or shutdown.
    func serve(_ connection: Connection) async {
        let channel = connection.channel
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, outbound in
                    var head: HTTPRequestHead?
                    var body = ByteBuffer()
                    for try await part in inbound {
                        switch part {
                        case .head(let next):
                            head = next
                            body.clear()
                            if let length = next.headers.first(name: "content-length").flatMap(Int.init),
                                length > configuration.maxRequestBodySize
                            {
                                try await write(tooLarge(), for: next, to: outbound, close: true)
                                return
                            }
                            if next.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                                try await outbound.write(.head(HTTPResponseHead(version: next.version, status: .continue)))
                            }
                        case .body(var chunk):
                            guard let current = head else { continue }
                            guard body.readableBytes + chunk.readableBytes <= configuration.maxRequestBodySize else {
                                try await write(tooLarge(), for: current, to: outbound, close: true)
                                return
                            }
                            body.writeBuffer(&chunk)
                        case .end:
                            guard let current = head else { continue }
                            head = nil
                            let request = HTTPRequest(head: current, body: body, remoteAddress: channel.remoteAddress)
                            let response = await respond(to: request)
                            let close = !current.isKeepAlive || response.closesConnection
                            try await write(response, for: current, to: outbound, close: close)
                            if close { return }
                        }
                    }
                }
            } onGracefulShutdown: {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        } catch {
            logger.debug(
                "HTTP connection ended",
                metadata: [
                    "http.peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)",
                ])
        }
    }

    /// The handler's response; 404, 405 or 500 when there is none or it fails.
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        switch router.match(request) {
        case .handler(let handler):
            do {
                return try await handler(request)
            } catch {
                logger.error(
                    "HTTP handler failed",
                    metadata: [
                        "http.method": "\(request.method.rawValue)", "http.path": "\(request.path)", "error": "\(error)",
                    ])
                return .text("internal server error\n", status: .internalServerError)
            }
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.text("method not allowed\n", status: .methodNotAllowed)
            response.headers.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            return response
        case .notFound:
            return .text("not found\n", status: .notFound)
        }
    }

    private func tooLarge() -> HTTPResponse {
        .text("request body larger than \(configuration.maxRequestBodySize) bytes\n", status: .payloadTooLarge)
    }

    private func write(
        _ response: HTTPResponse, for request: HTTPRequestHead,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, close: Bool
    ) async throws {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: close ? "close" : "keep-alive")
        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers)))
        if response.body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(response.body))) }
        try await outbound.write(.end(nil))
    }
}
