import Foundation
import Logging
import RunnelCore
import RunnelParsers
import RunnelPipeline
import RunnelTail
import Synchronization

/// in_tail throughput: a file of 200-byte lines read from its head through `TailInputPlugin`
/// (thread-pool reads, parsing, batches emitted to a counting sink), with `none` and `json`;
/// plus the parsers alone on the same lines in memory.
func tailBenchmarks() -> [Benchmark] {
    let lineCount = 500_000
    return [
        Benchmark("tail.file.none.200B") {
            let file = try TailBenchFiles.file(kind: "none", lines: lineCount)
            return try await TailBenchFiles.tailWholeFile(file, lines: lineCount, parser: NoneParser())
        },
        Benchmark("tail.file.json.200B") {
            let file = try TailBenchFiles.file(kind: "json", lines: lineCount)
            return try await TailBenchFiles.tailWholeFile(file, lines: lineCount, parser: JSONParser())
        },
        Benchmark("tail.parse.none.200B") {
            try TailBenchFiles.parseInMemory(kind: "none", lines: lineCount, parser: NoneParser())
        },
        Benchmark("tail.parse.json.200B") {
            try TailBenchFiles.parseInMemory(kind: "json", lines: lineCount, parser: JSONParser())
        },
        Benchmark("tail.parse.cri.200B") {
            try TailBenchFiles.parseInMemory(kind: "cri", lines: lineCount, parser: CRIParser())
        },
    ]
}

enum TailBenchFiles {
    /// A line of exactly 199 bytes plus its newline.
    static func line(kind: String, index: Int) -> String {
        let base: String
        switch kind {
        case "json":
            base =
                #"{"level":"info","service":"checkout","request_id":"req-\#(index)","latency_ms":\#(index % 997),"message":"GET /api/v1/orders completed with status 200 after cache miss"#
        case "cri":
            base =
                "2023-11-14T22:13:20.123456789Z stdout F GET /api/v1/orders/\(index) completed with status 200 after a cache miss on shard 7 of the order service"
        default:
            base = "2023-11-14T22:13:20.123Z INFO checkout[\(index)]: GET /api/v1/orders/12345 completed with status 200 after cache miss on shard 7"
        }
        let closing = kind == "json" ? "\"}" : ""
        let padding = max(0, 199 - base.utf8.count - closing.utf8.count)
        return base + String(repeating: ".", count: padding) + closing
    }

    static func file(kind: String, lines: Int) throws -> String {
        let path = NSTemporaryDirectory() + "runnel-bench-tail-\(kind)-\(lines).log"
        if FileManager.default.fileExists(atPath: path) { return path }
        var data = Data()
        data.reserveCapacity(lines * 200)
        for index in 0..<lines { data.append(contentsOf: Array((line(kind: kind, index: index) + "\n").utf8)) }
        try data.write(to: URL(fileURLWithPath: path + ".tmp"))
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        return path
    }

    static func tailWholeFile(_ path: String, lines: Int, parser: any LineParser) async throws -> Work {
        var configuration = TailInputConfiguration(paths: [path], tag: "bench.tail")
        configuration.readFromHead = true
        configuration.watchInterval = 0.01
        configuration.refreshInterval = 3600
        configuration.enableStatWatcher = false
        let sink = TargetCountingSink(target: lines)
        let plugin = TailInputPlugin(configuration: configuration, parser: parser, router: sink, logger: Logger(label: "bench"))
        let task = Task { try await plugin.run() }
        await sink.done()
        task.cancel()
        _ = try? await task.value
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Work(items: sink.count, bytes: size)
    }

    static func parseInMemory(kind: String, lines: Int, parser: any LineParser) throws -> Work {
        let text = (0..<1000).map { line(kind: kind, index: $0) }
        var parser = parser
        var output = ParserOutput(capacity: 1 << 20)
        var bytes = 0
        var events = 0
        let now = EventTime(seconds: 1_700_000_000)
        for round in 0..<(lines / 1000) {
            for var line in text {
                line.withUTF8 { buffer in
                    _ = parser.parse(UnsafeRawBufferPointer(buffer), now: now, into: &output)
                    bytes += buffer.count + 1
                }
            }
            events += output.count
            _ = output.take(tag: "bench")
            _ = round
        }
        return Work(items: events, bytes: bytes)
    }
}

/// Counts emitted events and resumes a waiter once `target` have arrived.
final class TargetCountingSink: EventSink {
    struct State {
        var count = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    let target: Int
    let state = Mutex(State())

    init(target: Int) { self.target = target }

    var count: Int { state.withLock { $0.count } }

    func emit(_ stream: EventStream) async throws {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.count += stream.count
            guard state.count >= target else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func done() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.count >= target { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
