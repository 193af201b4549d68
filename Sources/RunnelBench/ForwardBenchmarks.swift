import Logging
import NIOCore
import NIOPosix
import RunnelCore
import RunnelForward
import RunnelPipeline
import Synchronization

/// Forward ingest over loopback: PackedForward messages of 1,000 ~200-byte records with ack on,
/// into an in-memory sink, client and server on one event loop thread. The client sends
/// pre-encoded messages, so the figures are dominated by the server side (decode, validate,
/// copy, emit, ack); CPU s/M still includes the client's writes and ack reads.
func forwardBenchmarks() -> [Benchmark] {
    let batch = 1_000
    let batches = 500
    let stream = sampleEventStream(tag: "bench.forward", count: batch)
    let packed = (try? ForwardMessageEncoder.encode(stream, mode: .packedForward, chunk: "bench-chunk"))?.first ?? []
    let compressed = (try? ForwardMessageEncoder.encode(stream, mode: .compressedPackedForward, chunk: "bench-chunk"))?.first ?? []
    return [
        Benchmark("forward.ingest.packed-ack") {
            try await forwardIngest(message: packed, eventsPerMessage: batch, messages: batches)
        },
        Benchmark("forward.ingest.compressed-packed-ack") {
            try await forwardIngest(message: compressed, eventsPerMessage: batch, messages: batches / 5)
        },
        Benchmark("forward.decode.packed") {
            var decoder = ForwardFrameDecoder(options: ForwardDecodingOptions(chunkSizeLimit: 64 << 20))
            var buffer = ByteBuffer(bytes: packed)
            var events = 0
            for _ in 0..<100 {
                buffer.moveReaderIndex(to: 0)
                if case .events(let message)? = try decoder.nextFrame(&buffer) { events += message.count }
            }
            return Work(items: events, bytes: packed.count * 100)
        },
    ]
}

/// Counts what it is given; keeps nothing.
final class CountingSink: EventSink {
    let totals = Mutex<(events: Int, bytes: Int)>((0, 0))
    func emit(_ stream: EventStream) async throws {
        totals.withLock { $0 = ($0.events + stream.count, $0.bytes + stream.entries.count) }
    }
}

private func forwardIngest(message: [UInt8], eventsPerMessage: Int, messages: Int) async throws -> Work {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
        let work = try await forwardIngest(message: message, eventsPerMessage: eventsPerMessage, messages: messages, group: group)
        try await group.shutdownGracefully()
        return work
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
}

private func forwardIngest(message: [UInt8], eventsPerMessage: Int, messages: Int, group: MultiThreadedEventLoopGroup) async throws -> Work {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let sink = CountingSink()
    let input = try ForwardInput(
        configuration: ForwardInputConfiguration(endpoint: .tcp(host: "127.0.0.1", port: 0), udpHeartbeat: false),
        sink: sink, logger: logger, group: group)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await input.run() }
        let port = try await input.boundPort
        let client = ForwardClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        try await ForwardClient.withConnection(client, group: group) { client in
            // Two messages in flight: the next is on the wire while the previous is acked.
            try await client.sendRaw(message)
            for index in 1...messages {
                if index < messages { try await client.sendRaw(message) }
                let ack = try await client.receive()
                guard ack["ack"]?.stringValue == "bench-chunk" else { throw ForwardError(.unexpectedResponse("\(ack)")) }
            }
        }
        tasks.cancelAll()
        try? await tasks.waitForAll()
        let totals = sink.totals.withLock { $0 }
        precondition(totals.events == eventsPerMessage * messages, "lost events: \(totals.events)")
        return Work(items: totals.events, bytes: totals.bytes)
    }
}
