import Logging
import NIOCore
import NIOPosix
import RunnelBuffer
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelForwardOutput

/// What a chunk becomes when servers fail: retried, the failing server detached, never delivered
/// without an ack.
@Suite struct ForwardChunkSenderTests {
    static func chunk(events: Int = 3) -> ChunkToSend {
        var builder = EventStreamBuilder(tag: "app.test")
        for seq in 0..<events { builder.append(time: EventTime(seconds: 1_700_000_000), record: .record(["seq": .int(Int64(seq))])) }
        let stream = builder.build()
        return ChunkToSend(id: "c1", metadata: ChunkMetadata(tag: "app.test"), entries: stream.entries, count: stream.count)
    }

    static func sender(ports: [Int], ack: Bool = false) -> ForwardChunkSender {
        var configuration = ForwardOutputConfiguration(servers: ports.map { .init(host: "127.0.0.1", port: $0) })
        configuration.requireAckResponse = ack
        configuration.ackResponseTimeout = .seconds(1)
        configuration.sendTimeout = .seconds(30)
        var logger = Logger(label: "forward-output-test")
        logger.logLevel = .critical
        return ForwardChunkSender(configuration: configuration, pool: ForwardServerPool(configuration: configuration, logger: logger), logger: logger)
    }

    /// A server that accepts connections and reads, but never answers: no ack ever comes.
    static func silentServer() async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    }

    @Test func refusedConnectionIsARetryAndDetachesTheServer() async throws {
        let sender = Self.sender(ports: [try freePort()])
        guard case .retry(let error) = await sender.send(Self.chunk()) else {
            Issue.record("not a retry")
            return
        }
        #expect(!sender.pool.isAvailable(0), "\(error)")
        // With the only server detached, the next chunk waits for a recovery.
        guard case .retry(let next) = await sender.send(Self.chunk()) else {
            Issue.record("not a retry")
            return
        }
        #expect(next.code == "no_nodes_available")
    }

    @Test func missingAckIsARetry() async throws {
        let server = try await Self.silentServer()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let sender = Self.sender(ports: [port], ack: true)
        guard case .retry(let error) = await sender.send(Self.chunk()) else {
            Issue.record("a chunk without an ack was not retried")
            return
        }
        #expect(error.code == "ack_timeout", "\(error)")
        #expect(!sender.pool.isAvailable(0))
    }

    @Test func withoutAckASilentServerTakesTheChunk() async throws {
        let server = try await Self.silentServer()
        defer { server.close(promise: nil) }
        let sender = Self.sender(ports: [try #require(server.localAddress?.port)])
        guard case .delivered = await sender.send(Self.chunk()) else {
            Issue.record("not delivered")
            return
        }
        #expect(sender.pool.isAvailable(0))
    }

    @Test func aFailingServerHandsTheChunkToTheNext() async throws {
        let server = try await Self.silentServer()
        defer { server.close(promise: nil) }
        let dead = try freePort()
        let sender = Self.sender(ports: [dead, try #require(server.localAddress?.port)])
        // A whole rotation (2 servers x 6): the dead one comes first at least once.
        for _ in 0..<12 {
            guard case .delivered = await sender.send(Self.chunk()) else {
                Issue.record("not delivered")
                return
            }
        }
        #expect(!sender.pool.isAvailable(0) && sender.pool.isAvailable(1))
    }

    @Test func onlyPendingEntriesAreSent() throws {
        var chunk = Self.chunk(events: 5)
        chunk.delivered = EntrySet([0, 2])
        let stream = try ForwardChunkSender.pendingStream(of: chunk, tag: "app.test")
        #expect(stream.count == 3)
        let seqs = try stream.decodedEntries().map { entry -> Int64? in
            switch entry.record["seq"] {
            case .int(let value)?: return value
            case .uint(let value)?: return Int64(value)
            default: return nil
            }
        }
        #expect(seqs == [1, 3, 4])
        #expect(try ForwardChunkSender.pendingStream(of: Self.chunk(events: 5), tag: "t").entries == Self.chunk(events: 5).entries)
    }

    @Test func aChunkWithoutATagIsRejected() async {
        var chunk = Self.chunk()
        chunk.metadata.tag = nil
        guard case .rejected = await Self.sender(ports: [1]).send(chunk) else {
            Issue.record("not rejected")
            return
        }
    }
}

extension ForwardChunkSenderTests {
    /// The regular server fails on this very chunk: the standby it brings in takes the chunk now.
    @Test func aFailedPrimaryHandsTheSameChunkToTheStandby() async throws {
        let server = try await Self.silentServer()
        defer { server.close(promise: nil) }
        var configuration = ForwardOutputConfiguration(servers: [
            .init(host: "127.0.0.1", port: try freePort()),
            .init(host: "127.0.0.1", port: try #require(server.localAddress?.port), standby: true),
        ])
        configuration.sendTimeout = .seconds(30)
        var logger = Logger(label: "forward-output-test")
        logger.logLevel = .critical
        let sender = ForwardChunkSender(configuration: configuration, pool: ForwardServerPool(configuration: configuration, logger: logger), logger: logger)
        guard case .delivered = await sender.send(Self.chunk()) else {
            Issue.record("the standby did not take the chunk")
            return
        }
        #expect(!sender.pool.isAvailable(0) && sender.pool.isAvailable(1))
    }
}
