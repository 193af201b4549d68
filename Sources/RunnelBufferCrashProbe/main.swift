// runnel-buffer-crash-probe: a child process for the buffer's crash tests.
//
//   runnel-buffer-crash-probe MODE DIR GEN SEED DURABLE [FSIZE_LIMIT]
//
// MODE run:   emits entries with unique sequence numbers from two tasks into a file buffer,
//             appends "A <seq> ." to DIR/acked.log after each emit returns, and flushes to a
//             "destination" file DIR/dest.log ("D <gen> <chunk> <attempt> <index> <seq> ." per accepted
//             entry) with random retries and partial acceptance, until it is killed. The closing
//             " ." tells a whole line from one a SIGKILL cut short.
// MODE fill:  like run without flushing, under RLIMIT_FSIZE = FSIZE_LIMIT; exits after the first
//             emit the buffer refuses (a full disk).
// MODE drain: resumes the buffer, delivers everything, prints "drained <status>" and exits.
import Foundation
import Logging
import RunnelBuffer
import RunnelCore
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 6 else {
    FileHandle.standardError.write(Data("usage: runnel-buffer-crash-probe MODE DIR GEN SEED DURABLE [FSIZE_LIMIT]\n".utf8))
    exit(2)
}
let mode = arguments[1]
let directory = arguments[2]
let generation = Int(arguments[3])!
let seed = UInt64(arguments[4])!
let durable = arguments[5] == "1"

if mode == "fill", arguments.count > 6, let limit = Int(arguments[6]) {
    signal(SIGXFSZ, SIG_IGN)
    var rl = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    setrlimit(Int32(RLIMIT_FSIZE.rawValue), &rl)
}

/// Appends lines to a file with one `write` each. A SIGKILL can still cut a `write` to a regular
/// file short at a page boundary (Linux stops copying once a fatal signal is pending), so a log
/// that a killed run left ending inside a line is ended first: the next run's first line must not
/// be glued to the torn one, or the test would miss what it records.
final class LineLog: Sendable {
    let fd: Int32
    init(_ path: String) {
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var last: UInt8 = 0
        let size = lseek(fd, 0, SEEK_END)
        if size > 0, pread(fd, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") {
            var newline = UInt8(ascii: "\n")
            _ = Glibc.write(fd, &newline, 1)
        }
    }
    func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The "destination": records what it accepts, sometimes fails, sometimes takes only part.
final class FileDestination: ChunkSender {
    let log: LineLog
    let flaky: Bool
    let rng: Mutex<SplitMix64>
    let attempts = Mutex<[String: Int]>([:])

    init(log: LineLog, flaky: Bool, seed: UInt64) {
        self.log = log
        self.flaky = flaky
        rng = Mutex(SplitMix64(seed: seed))
    }

    func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        let attempt = attempts.withLock { a in
            a[chunk.id, default: 0] += 1
            return a[chunk.id]!
        }
        let roll = flaky ? rng.withLock { $0.below(10) } : 9
        if roll < 2 { return .retry(DeliveryError("injected failure")) }
        var accepted = EntrySet()
        var lines = ""
        do {
            try chunk.forEachPendingEntry { index, _, record in
                let take = roll >= 5 || rng.withLock { $0.below(2) } == 0
                guard take else { try record.skipValue(); return }
                let value = try record.readValue()
                guard case .uint(let seq)? = value["seq"] else { return }
                accepted.insert(index)
                lines += "D \(generation) \(chunk.id) \(attempt) \(index) \(seq) .\n"
            }
        } catch {
            return .retry(DeliveryError("unreadable chunk: \(error)"))
        }
        log.write(lines)
        if roll >= 5 { return .delivered }
        return .partial(accepted: accepted, error: DeliveryError("injected partial failure"))
    }
}

var configuration = BufferConfiguration(type: .file, chunkKeys: ChunkKeys(tag: true))
configuration.path = directory + "/buffer"
configuration.chunkLimitSize = mode == "fill" ? 1 << 20 : 8 * 1024
configuration.chunkLimitRecords = mode == "fill" ? nil : 40
configuration.flushMode = .interval
configuration.flushInterval = 0.05
configuration.flushThreadCount = 2
configuration.flushThreadInterval = 0.01
configuration.flushThreadBurstInterval = 0
configuration.retry.wait = 0.01
configuration.retry.maxInterval = 0.05
configuration.retry.randomize = false
configuration.retry.forever = true
configuration.durable = durable
configuration.overflowAction = .block

var logger = Logger(label: "crash-probe")
logger.logLevel = .error
let destination = FileDestination(log: LineLog(directory + "/dest.log"), flaky: mode == "run", seed: seed)
let buffer = try BufferedOutput(name: "probe", configuration: configuration, sender: destination, logger: logger, pluginType: "probe")
let acked = LineLog(directory + "/acked.log")

func emitter(_ lane: Int) async -> Bool {
    var rng = SplitMix64(seed: seed &+ UInt64(lane) &* 7919)
    var counter = 0
    while true {
        let size = 1 + rng.below(20)
        var builder = EventStreamBuilder(tag: "probe.\(lane)")
        var seqs: [Int] = []
        for _ in 0..<size {
            let seq = generation * 10_000_000 + lane * 1_000_000 + counter
            counter += 1
            seqs.append(seq)
            builder.append(
                time: EventTime(seconds: 1_700_000_000),
                record: .record(["seq": .uint(UInt64(seq)), "pad": .string(String(repeating: "x", count: 60 + rng.below(80)))]))
        }
        do {
            try await buffer.emit(builder.build())
        } catch {
            return false
        }
        acked.write(seqs.map { "A \($0) .\n" }.joined())
        if mode == "fill" && counter > 100_000 { return true }
    }
}

switch mode {
case "drain":
    for _ in 0..<100 {
        await buffer.flushNow()
        if buffer.status.totalBytes == 0 { break }
    }
    print("drained queue=\(buffer.status.queueLength) bytes=\(buffer.status.totalBytes)")
case "fill":
    let ok = await emitter(0)
    print(ok ? "fill finished" : "fill refused")
default:
    await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await buffer.run() }
        group.addTask { _ = await emitter(0) }
        group.addTask { _ = await emitter(1) }
    }
}
