import Logging
import NIOCore
import NIOPosix
import RunnelForward

/// out_forward's heartbeat timer: every `heartbeat_interval` it ticks the pool's health state
/// machines, then probes every server: a connection over the data transport, closed once it is
/// established (`transport`, `tcp`: TLS with `transport tls`, and the shared-key handshake with
/// `<security>`, as Fluentd's `send_heartbeat` does; no data is sent, as Fluentd sends none), or
/// a one-byte datagram that in_forward answers (`udp`). An answer is a heartbeat; a probe that has
/// none within `heartbeat_interval` (at least a second) fails. Runs until its task is cancelled.
struct ForwardHeartbeater: Sendable {
    let configuration: ForwardOutputConfiguration
    let pool: ForwardServerPool
    let logger: Logger

    func run() async {
        guard configuration.heartbeatType != .none else {
            // No probes, but failed servers still come back after recover_wait.
            while !Task.isCancelled {
                pool.tick()
                guard (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil else { return }
            }
            return
        }
        let datagrams = configuration.heartbeatType == .udp ? try? await openDatagramChannel() : nil
        if configuration.heartbeatType == .udp, datagrams == nil {
            logger.warning("Cannot open the UDP socket for heartbeats; servers are watched through sends only")
        }
        defer { datagrams?.close(promise: nil) }
        while !Task.isCancelled {
            pool.tick()
            await withDiscardingTaskGroup { group in
                for index in pool.servers.indices {
                    group.addTask { await probe(index, datagrams: datagrams) }
                }
            }
            guard (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil else { return }
        }
    }

    private func probe(_ index: Int, datagrams: (any Channel)?) async {
        let server = pool.servers[index]
        guard let address = try? await pool.address(of: index) else { return }
        do {
            if let datagrams {
                let target = try await Self.socketAddress(address, port: server.port)
                let envelope = AddressedEnvelope(remoteAddress: target, data: datagrams.allocator.buffer(bytes: [0]))
                try await datagrams.writeAndFlush(envelope)
                return
            }
            // A plain TCP probe would look like a broken client to a TLS or shared-key server
            // (Fluentd logs "unexpected eof" for each, Fluent Bit a handshake error).
            let timeout = max(configuration.heartbeatInterval, .seconds(1))
            var client = try await ForwardChunkSender.client(configuration, server: index, pool: pool)
            client.connectTimeout = client.connectTimeout.map { min($0, timeout) } ?? timeout
            try await withDeadline(phase: ForwardSendPhase(), send: timeout, ack: timeout) { [client] in
                try await ForwardClient.withConnection(client) { _ in }
            }
            pool.heartbeatArrived(index)
        } catch {
            logger.trace("Heartbeat failed", metadata: ["forward.server": "\(server.name)", "error": "\(error)"])
        }
    }

    private static func socketAddress(_ host: String, port: Int) async throws -> SocketAddress {
        try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(host, port: port) }
    }

    /// A UDP socket whose every datagram from a server's address and port counts as its heartbeat.
    private func openDatagramChannel() async throws -> any Channel {
        let pool = self.pool
        let servers = pool.servers
        var targets: [SocketAddress: Int] = [:]
        for index in servers.indices {
            if let address = try? await pool.address(of: index), let socket = try? await Self.socketAddress(address, port: servers[index].port) {
                targets[socket] = index
            }
        }
        let known = targets
        let bindHost = known.keys.contains { $0.protocol == .inet6 } && !known.keys.contains { $0.protocol == .inet } ? "::" : "0.0.0.0"
        return try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ForwardHeartbeatReplyHandler { sender in
                            if let index = known[sender] { pool.heartbeatArrived(index) }
                        })
                }
            }
            .bind(host: bindHost, port: 0).get()
    }
}

/// Hands the sender of each datagram to `onReply`: in_forward answers a heartbeat with one byte.
final class ForwardHeartbeatReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let onReply: @Sendable (SocketAddress) -> Void

    init(onReply: @escaping @Sendable (SocketAddress) -> Void) { self.onReply = onReply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onReply(unwrapInboundIn(data).remoteAddress)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP "port unreachable" for a server that is down: its missing heartbeat says it.
    }
}
