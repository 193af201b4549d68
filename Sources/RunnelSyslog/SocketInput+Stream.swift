import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RunnelCore
import RunnelForward
import RunnelNetwork
import ServiceLifecycle

extension SocketInput {
    func runStream(_ address: SocketAddress) async throws {
        let server: NIOAsyncChannel<StreamConnection, Never>
        do {
            let backlog = Int32(clamping: configuration.backlog)
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: backlog)
                .childChannelOption(.socketOption(.so_keepalive), value: configuration.sendKeepalivePacket ? 1 : 0)
            if let lease {
                let socket = try lease.socket(backlog: backlog) { try ListeningSocket.open(address, backlog: backlog) }
                server = try await bootstrap.bind(socket, childChannelInitializer: acceptor.initializer(setUpConnection))
            } else {
                server = try await bootstrap.bind(to: address, childChannelInitializer: acceptor.initializer(setUpConnection))
            }
        } catch {
            throw bindFailed(error)
        }
        let local = server.channel.localAddress!
        bound.set(local)
        logger.info("listening", metadata: metadata.merging(["socket.address": "\(local)"]) { $1 })
        try await acceptor.run(server, onGracefulShutdown: { self.stopping.withLock { $0 = true } }) { connection in
            await self.serve(connection)
        }
        logger.info("stopped", metadata: metadata)
    }

    func setUpConnection(_ channel: any Channel) throws -> StreamConnection {
        if let sslContext {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8)))
        // Read now: a peer that sends and closes at once leaves a closed channel without addresses.
        return StreamConnection(channel: connection, remote: channel.remoteAddress)
    }

    /// Serves one connection until the peer closes it or shutdown. A message that is bad in any
    /// way is reported and skipped; the connection stays up.
    func serve(_ accepted: StreamConnection) async {
        let connection = accepted.channel
        let channel = connection.channel
        let remote = accepted.remote
        let peer = remote.map { "\($0)" } ?? "unknown"
        if let allowed = configuration.allowedClients {
            let address = remote?.ipAddress ?? "unknown"
            guard allowed.contains(where: { $0.contains(address) }) else {
                problems.log(
                    logger, level: .warning, "\(configuration.name) input: anonymous client '\(address)' denied", reason: "client_denied",
                    metadata: ["socket.peer": "\(peer)"])
                try? await connection.executeThenClose { _, _ in }
                return
            }
        }
        let source = await source(remote)
        var framer = MessageFramer(framing: configuration.framing, limit: configuration.streamMessageLimit)
        var interpreter = self.interpreter
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, _ in
                    for try await buffer in inbound {
                        let frames = buffer.withUnsafeReadableBytes { framer.append($0) }
                        await deliver(frames, from: source, interpreter: &interpreter, peer: peer)
                    }
                }
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } catch let error as NIOSSLError {
            problems.log(
                logger, level: .warning, "\(configuration.name) input: closed a connection: TLS failed", reason: "tls",
                metadata: ["socket.peer": "\(peer)", "error": "\(error)"])
        } catch {
            logger.debug("connection ended", metadata: ["socket.peer": "\(peer)", "error": "\(error)"])
        }
        if framer.pendingByteCount > 0 {
            logger.debug(
                "connection closed in the middle of a message", metadata: ["socket.peer": "\(peer)", "socket.bytes": "\(framer.pendingByteCount)"])
        }
    }
}

/// An accepted TCP connection and its peer's address, read when it was accepted.
struct StreamConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let remote: SocketAddress?
}
