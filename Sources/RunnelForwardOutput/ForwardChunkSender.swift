import Logging
import RunnelBuffer
import RunnelCore
import RunnelForward

/// out_forward's `write`: sends a slice of a chunk's pending entries as one PackedForward
/// message (the buffered bytes as they are) to the first server of the load balancer that takes it, trying
/// the others in turn when one fails. With `require_ack_response` the chunk is delivered only
/// once its ack came back, so a lost connection or a missing ack means the chunk is sent again
/// (at least once: the receiver may see it twice, never not at all).
public struct ForwardChunkSender: ChunkSender {
    public let configuration: ForwardOutputConfiguration
    public let pool: ForwardServerPool
    let logger: Logger
    /// With `keepalive`: one kept-open connection per server (run by the plugin's `run()`).
    let connections: [ForwardKeptConnection]?

    public init(configuration: ForwardOutputConfiguration, pool: ForwardServerPool, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        connections =
            configuration.keepalive
            ? configuration.servers.indices.map { index in ForwardKeptConnection(configuration: configuration, server: index, pool: pool) }
            : nil
        self.logger = logger
    }

    /// A chunk goes out 8 MiB of entries at a time, each slice one PackedForward message with
    /// its own ack, so a flush holds at most that much whatever `chunk_limit_size` is (a minimal
    /// `<buffer> @type file` allows 256 MiB chunks). Fluentd sends a chunk as one message; the
    /// receiver sees the same events, in more messages.
    public var sliceBytes: Int { 8 << 20 }

    public func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        guard let tag = chunk.metadata.tag else {
            return .rejected(DeliveryError("chunk \(chunk.id) has no tag: out_forward needs the tag chunk key in <buffer>", code: "no_tag"))
        }
        let stream: EventStream
        do {
            stream = try Self.pendingStream(of: chunk, tag: tag)
        } catch {
            return .rejected(DeliveryError("chunk \(chunk.id) is not valid MessagePack: \(error)", code: "corrupt"))
        }
        guard stream.count > 0 else { return .delivered }
        var lastError: any Error = ForwardOutputError.noServerAvailable
        var tried = Set<Int>()
        // A failure can bring standby servers into the rotation: ask again until none is new.
        while let index = pool.candidates().first(where: { !tried.contains($0) }) {
            tried.insert(index)
            do {
                try await deliver(stream, to: index)
                pool.sent(index)
                return .delivered
            } catch {
                lastError = error
                pool.failed(index, error: error)
                logger.debug(
                    "Chunk not delivered to forwarding server",
                    metadata: ["forward.server": "\(pool.servers[index].name)", "chunk": "\(chunk.id)", "error": "\(error)"])
            }
        }
        let code = (lastError as? ForwardOutputError)?.code ?? (lastError as? ForwardError)?.reason ?? "connection"
        return .retry(DeliveryError("out_forward could not send chunk \(chunk.id): \(lastError)", code: code))
    }

    /// One attempt on one server: connecting, the handshake and writing within `send_timeout`,
    /// then (with `require_ack_response`) the ack within `ack_response_timeout`; on the kept
    /// connection with `keepalive`.
    func deliver(_ stream: EventStream, to index: Int) async throws {
        let chunkID = configuration.requireAckResponse ? Self.chunkID() : nil
        let messages = try ForwardMessageEncoder.encode(stream, mode: configuration.mode, chunk: chunkID)
        if let connection = connections?[index], try await connection.send(messages, chunkID: chunkID) { return }
        let phase = ForwardSendPhase()
        let limits = (send: configuration.sendTimeout, ack: configuration.ackResponseTimeout)
        let client = try await Self.client(configuration, server: index, pool: pool)
        try await withDeadline(phase: phase, send: limits.send, ack: limits.ack) {
            try await ForwardClient.withConnection(client) { connection in
                for message in messages { try await connection.sendRaw(message) }
                guard let chunkID else { return }
                phase.enter(.awaitingAck)
                try Self.checkAck(try await connection.receive(), chunkID: chunkID)
            }
        }
    }

    /// How to reach server `index` now: its address resolved per `expire_dns_cache`. The ack is
    /// awaited by the sender, not the client, so that its wait has its own timeout.
    static func client(_ configuration: ForwardOutputConfiguration, server index: Int, pool: ForwardServerPool) async throws
        -> ForwardClientConfiguration
    {
        let server = configuration.servers[index]
        var client = configuration.clientConfiguration(for: server, address: try await pool.address(of: index))
        if isIPAddress(server.host) { client.tlsServerName = nil }
        client.requireAck = false
        return client
    }

    /// Checks the server's answer to the message of `chunkID`.
    static func checkAck(_ answer: MessagePackValue, chunkID: String) throws {
        guard let ack = answer["ack"]?.stringValue else { throw ForwardError(.unexpectedResponse("expected an ack map")) }
        guard ack == chunkID else { throw ForwardError(.ackMismatch(expected: chunkID, received: ack)) }
    }

    /// A chunk id for the `chunk` option: 16 random bytes in hex, as Fluentd sends.
    static func chunkID() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()] as [UInt64]
        return words.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// The entries not yet delivered, as one event stream: the chunk's bytes when all are pending.
    static func pendingStream(of chunk: ChunkToSend, tag: String) throws -> EventStream {
        if chunk.indices == nil, chunk.delivered.isEmpty {
            return EventStream(tag: tag, entries: chunk.entries, count: chunk.count)
        }
        var entries: [UInt8] = []
        entries.reserveCapacity(chunk.entries.count)
        var count = 0
        try chunk.forEachPendingEntryBytes { _, bytes in
            entries.append(contentsOf: bytes)
            count += 1
        }
        return EventStream(tag: tag, entries: entries, count: count)
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
