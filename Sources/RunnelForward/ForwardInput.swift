import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RunnelCore
import RunnelNetwork
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type forward` (and `@type unix`): a Forward protocol v1 server.
///
/// Accepts with the async `ServerBootstrap.bind` and serves each connection in a discarding
/// task group. A connection's pipeline is TLS (optional), the frame-timeout guard,
/// `ByteToMessageHandler(ForwardFrameDecoder)` and an `NIOAsyncChannel`; emitting and acking is
/// straight-line async code, so while `emit` is suspended the connection stops reading.
/// On graceful shutdown it stops accepting, lets every in-flight message be emitted and
/// acknowledged, closes the connections and returns.
public final class ForwardInput: InputPlugin, Sendable {
    public let configuration: ForwardInputConfiguration
    let sink: any EventSink
    let logger: Logger
    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    let assembler: ForwardEventAssembler
    let limiter = LogRateLimiter(interval: 10, reasonKey: "forward.reason", suppressedKey: "forward.suppressed")
    private let bound = BoundAddress()
    /// The TCP listening socket, kept open across a reload to a configuration that listens there too.
    let lease: ListenerLease?
    /// Serves accepted connections and closes those a stopping listener never handed out.
    let acceptor = ConnectionAcceptor<ForwardConnection, ForwardFrame, ByteBuffer>(channel: { $0.channel })

    public init(
        configuration: ForwardInputConfiguration, sink: any EventSink, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, listeners: ListenerSockets = .shared
    ) throws {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
        self.group = group
        self.sslContext = try configuration.tls?.makeServerContext()
        self.assembler = ForwardEventAssembler(configuration: configuration)
        if case .tcp(let host, let port) = configuration.endpoint, port != 0 {
            // Port 0 asks for a new ephemeral port each time; only a fixed address is kept.
            lease = listeners.reserve("tcp \(host):\(port)")
        } else {
            lease = nil
        }
    }

    /// The address the listener is bound to, once it is (for `port 0`).
    public var boundAddress: SocketAddress {
        get async throws { try await bound.wait() }
    }

    /// The TCP port actually bound (useful with `port 0`).
    public var boundPort: Int {
        get async throws {
            guard let port = try await bound.wait().port else {
                throw ForwardError(.configuration("the Forward input listens on a Unix socket, not a port"))
            }
            return port
        }
    }

    public func run() async throws {
        defer { lease?.release() }
        let server: NIOAsyncChannel<ForwardConnection, Never>
        do {
            server = try await bind()
        } catch {
            bound.fail(error)
            logger.error(
                "cannot listen for Forward connections",
                metadata: [
                    "forward.endpoint": "\(configuration.endpoint)", "error": "\(error)",
                ])
            throw error
        }
        let address = server.channel.localAddress!
        let heartbeat = try await startHeartbeat(address)
        bound.set(address)
        logger.info("listening for Forward connections", metadata: ["forward.address": "\(address)"])
        try await acceptor.run(server) { connection in await self.serve(connection) }
        try? await heartbeat?.close()
        if case .unix(let path) = configuration.endpoint { unlink(path) }
        logger.info("Forward input stopped", metadata: ["forward.address": "\(address)"])
    }

    private func bind() async throws -> NIOAsyncChannel<ForwardConnection, Never> {
        let address: SocketAddress
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
        switch configuration.endpoint {
        case .tcp(let host, let port):
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
            bootstrap =
                bootstrap
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.socketOption(.so_keepalive), value: configuration.sendKeepalivePacket ? 1 : 0)
            if let lease {
                let backlog = Int32(clamping: configuration.backlog)
                let socket = try lease.socket(backlog: backlog) { try ListeningSocket.open(address, backlog: backlog) }
                return try await bootstrap.bind(socket, childChannelInitializer: acceptor.initializer(setUpConnection))
            }
        case .unix(let path):
            try UnixSocketFile.removeStale(path)
            address = try SocketAddress(unixDomainSocketPath: path)
        }
        return try await bootstrap.bind(to: address, childChannelInitializer: acceptor.initializer(setUpConnection))
    }

    private func startHeartbeat(_ address: SocketAddress) async throws -> (any Channel)? {
        guard configuration.udpHeartbeat, case .tcp = configuration.endpoint else { return nil }
        do {
            return try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ForwardHeartbeatHandler()) }
                }
                .bind(to: address).get()
        } catch {
            logger.warning(
                "cannot answer UDP heartbeats on the Forward port; out_forward with heartbeat_type udp will see this node as down",
                metadata: [
                    "forward.address": "\(address)", "error": "\(error)",
                ])
            return nil
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ForwardInput: ReadinessReporting {
    public func notReadyReason(stallTimeout: Double) -> String? {
        bound.current == nil ? "not listening yet" : nil
    }
}
