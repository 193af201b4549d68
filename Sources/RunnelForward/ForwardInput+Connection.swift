import Logging
import NIOCore
import NIOSSL
import RunnelCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ForwardInput {
    /// Builds a connection's pipeline on its event loop (through the acceptor's initializer).
    func setUpConnection(_ channel: any Channel) throws -> ForwardConnection {
        let gate = ForwardConnectionGate()
        let progress = ForwardFrameProgress()
        let sync = channel.pipeline.syncOperations
        if let sslContext {
            try sync.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        if configuration.lingerTimeout > 0, let provider = channel as? any SocketOptionProvider {
            provider.setSoLinger(linger(l_onoff: 1, l_linger: Int32(configuration.lingerTimeout))).whenFailure { _ in }
        }
        try sync.addHandler(
            ForwardFrameTimeoutHandler(
                timeout: .nanoseconds(Int64(configuration.frameTimeout * 1e9)), progress: progress, gate: gate))
        try sync.addHandler(ByteToMessageHandler(ForwardFrameDecoder(options: configuration.decodingOptions)))
        try sync.addHandler(ForwardFrameCompletionHandler(progress: progress))
        let asyncChannel = try NIOAsyncChannel<ForwardFrame, ByteBuffer>(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
        return ForwardConnection(channel: asyncChannel, gate: gate)
    }

    /// Serves one connection until the client closes it, it misbehaves, or shutdown.
    func serve(_ connection: ForwardConnection) async {
        let channel = connection.channel.channel
        let remote = channel.remoteAddress
        let address = remote?.ipAddress ?? "unix"
        let peer = remote.map { "\($0)" } ?? "unix socket"
        var metadata: Logger.Metadata = ["forward.peer": "\(peer)"]
        do {
            try await withGracefulShutdownHandler {
                try await connection.channel.executeThenClose { inbound, outbound in
                    var session = ForwardSession(
                        handshake: ForwardHandshakeStateMachine(
                            security: configuration.security, peerAddress: address, keepalive: !configuration.denyKeepalive),
                        address: address)
                    if case .send(let bytes) = session.handshake.connectionOpened(nonce: Self.randomBytes(16), authSalt: Self.randomBytes(16)) {
                        try await outbound.write(ByteBuffer(bytes: bytes))
                    }
                    for try await frame in inbound {
                        guard connection.gate.begin() else { break }
                        let keepGoing = try await handle(frame, session: &session, outbound: outbound, remote: remote, metadata: &metadata)
                        guard connection.gate.end(), keepGoing else { break }
                    }
                }
            } onGracefulShutdown: {
                connection.gate.requestShutdown { channel.close(promise: nil) }
            }
        } catch let error as ForwardError {
            metadata["error"] = "\(error)"
            limiter.log(logger, level: .warning, "closed a Forward connection", reason: error.reason, metadata: metadata)
        } catch let error as NIOSSLError {
            metadata["error"] = "\(error)"
            limiter.log(logger, level: .warning, "closed a Forward connection: TLS failed", reason: "tls", metadata: metadata)
        } catch {
            metadata["error"] = "\(error)"
            logger.debug("Forward connection ended", metadata: metadata)
        }
    }

    /// Handles one frame; returns false when the connection must close.
    private func handle(
        _ frame: ForwardFrame, session: inout ForwardSession, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        remote: SocketAddress?, metadata: inout Logger.Metadata
    ) async throws -> Bool {
        switch frame {
        case .ping(let ping):
            switch session.handshake.pingReceived(ping) {
            case .send(let pong):
                try await outbound.write(ByteBuffer(bytes: pong))
                return true
            case .sendAndClose(let pong, let reason):
                try await outbound.write(ByteBuffer(bytes: pong))
                throw ForwardError(.authenticationFailed(reason: reason))
            case .close(let reason):
                throw ForwardError(.authenticationFailed(reason: reason))
            case .none, .acceptEvents:
                return true
            }
        case .events(let message):
            switch session.handshake.eventsReceived() {
            case .acceptEvents: break
            case .sendAndClose(let pong, let reason):
                try await outbound.write(ByteBuffer(bytes: pong))
                throw ForwardError(.authenticationFailed(reason: reason))
            case .close(let reason):
                throw ForwardError(.authenticationFailed(reason: reason))
            case .none, .send:
                return false
            }
            return try await accept(message, session: &session, outbound: outbound, remote: remote, metadata: metadata)
        }
    }

    private func accept(
        _ message: ForwardMessage, session: inout ForwardSession, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        remote: SocketAddress?, metadata: Logger.Metadata
    ) async throws -> Bool {
        var metadata = metadata
        metadata["forward.tag"] = "\(message.tag)"
        if let warnLimit = configuration.chunkSizeWarnLimit, message.frameSize > warnLimit {
            metadata["forward.size"] = "\(message.frameSize)"
            limiter.log(logger, level: .warning, "Forward chunk is larger than chunk_size_warn_limit", reason: "chunk_size_warn_limit", metadata: metadata)
        }
        if message.skipped > 0 {
            metadata["forward.skipped"] = "\(message.skipped)"
            limiter.log(logger, level: .warning, "dropped invalid events (skip_invalid_event)", reason: "invalid_event", metadata: metadata)
        }
        if message.count > 0 {
            if assembler.sourceHostnameKey != nil && session.hostname == nil {
                session.hostname = configuration.resolveHostname ? await HostnameResolver.resolve(remote) : session.address
            }
            let stream = assembler.stream(from: message, address: session.address, hostname: session.hostname ?? session.address)
            do {
                try await sink.emit(stream)
            } catch {
                // Not acknowledged: the client keeps the chunk and sends it again.
                metadata["error"] = "\(error)"
                limiter.log(logger, level: .warning, "events not taken; not acknowledged, the client will retry", reason: "emit_failed", metadata: metadata)
                return false
            }
        }
        if let chunk = message.chunk {
            var writer = MessagePackWriter(capacity: 16 + chunk.utf8.count)
            writer.writeMapHeader(count: 1)
            writer.write("ack")
            writer.write(chunk)
            try await outbound.write(ByteBuffer(bytes: writer.bytes))
        }
        return !configuration.denyKeepalive
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// Per-connection state of the serving loop.
struct ForwardSession {
    var handshake: ForwardHandshakeStateMachine
    var address: String
    var hostname: String?
}
