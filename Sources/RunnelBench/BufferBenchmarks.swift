import Foundation
import Logging
import RunnelBuffer
import RunnelCore

/// File-buffer appends (what an input waits for before it acknowledges), with and without
/// `durable`, beside the raw speed of writing the same bytes to the same disk.
func bufferBenchmarks() -> [Benchmark] {
    let perMessage = 500
    let messages = 200
    let whole = sampleEventStream(tag: "bench.buffer", count: perMessage * messages)
    let streams = split(whole, every: perMessage)
    let bytes = whole.entries.count
    return [
        Benchmark("buffer.file.append") { try await appendAll(streams, durable: false, bytes: bytes) },
        Benchmark("buffer.file.append.durable") { try await appendAll(streams, durable: true, bytes: bytes) },
        Benchmark("buffer.raw.sequential-write") { try rawWrite(streams, bytes: bytes) },
    ]
}

/// The same entries as PackedForward-sized streams of `size` events.
private func split(_ stream: EventStream, every size: Int) -> [EventStream] {
    var result: [EventStream] = []
    var builder = EventStreamBuilder(tag: stream.tag)
    try? stream.forEachEntry { time, reader in
        let start = reader.offset
        try reader.skipValue()
        builder.append(time: time, encodedRecord: Array(reader.bytes[start..<reader.offset]))
        if builder.count == size { result.append(builder.take()) }
    }
    if builder.count > 0 { result.append(builder.take()) }
    return result
}

/// Accepts every chunk; the benchmark never flushes anyway.
private struct DiscardingSender: ChunkSender {
    func send(_ chunk: ChunkToSend) async -> DeliveryResult { .delivered }
}

/// Four emitters, as four Forward connections would be, until every stream is in the buffer.
private func appendAll(_ streams: [EventStream], durable: Bool, bytes: Int) async throws -> Work {
    let directory = NSTemporaryDirectory() + "runnel-bench-buffer-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = BufferConfiguration(type: .file, chunkKeys: ChunkKeys(tag: true))
    configuration.path = directory
    configuration.chunkLimitSize = 8 << 20
    configuration.totalLimitSize = 1 << 30
    configuration.flushInterval = 3600
    configuration.durable = durable
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let buffer = try BufferedOutput(name: "bench", configuration: configuration, sender: DiscardingSender(), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<4 {
            group.addTask {
                for index in stride(from: lane, to: streams.count, by: 4) { try await buffer.emit(streams[index]) }
            }
        }
        try await group.waitForAll()
    }
    buffer.stop()
    return Work(items: streams.reduce(0) { $0 + $1.count }, bytes: bytes)
}

/// write(2) of the same appends to one file, then one fdatasync: the disk's sequential speed.
private func rawWrite(_ streams: [EventStream], bytes: Int) throws -> Work {
    let path = NSTemporaryDirectory() + "runnel-bench-raw-\(UUID().uuidString)"
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(fd) }
    for stream in streams {
        let written = stream.entries.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == stream.entries.count else { throw CocoaError(.fileWriteUnknown) }
    }
    fdatasync(fd)
    return Work(items: streams.reduce(0) { $0 + $1.count }, bytes: bytes)
}
