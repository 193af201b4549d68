import Foundation
import Logging
import RunnelCore
import Synchronization

@testable import RunnelBuffer

/// Events whose records carry a unique `seq`, so tests can follow each one.
func makeStream(tag: String = "app.test", seqs: some Sequence<Int>, padding: Int = 20, time: UInt32 = 1_700_000_000) -> EventStream {
    var builder = EventStreamBuilder(tag: tag)
    for seq in seqs {
        builder.append(
            time: EventTime(seconds: time),
            record: .record(["seq": .uint(UInt64(seq)), "pad": .string(String(repeating: "p", count: padding))]))
    }
    return builder.build()
}

/// The `seq` of each entry, in order.
func seqs(of entries: [UInt8]) throws -> [Int] {
    var result: [Int] = []
    try MessagePackReader.withReader(entries) { reader in
        while !reader.isAtEnd {
            try reader.readEntry { _, record in
                if case .uint(let seq)? = try record.readValue()["seq"] { result.append(Int(seq)) }
            }
        }
    }
    return result
}

/// A destination whose answers the test scripts; it records every entry it accepted.
final class ScriptedSender: ChunkSender {
    enum Answer: Sendable {
        case deliver
        /// Accepts pending entries whose position among the pending ones is even.
        case acceptEveryOther
        case retry
        case reject
    }

    struct Attempt: Sendable {
        var id: String
        var metadata: ChunkMetadata
        var pending: [Int]
        var retryCount: Int
    }

    let answers = Mutex<[Answer]>([])
    let defaultAnswer: Answer
    let accepted = Mutex<[Int]>([])
    let attempts = Mutex<[Attempt]>([])

    init(_ answers: [Answer] = [], otherwise: Answer = .deliver) {
        self.answers.withLock { $0 = answers }
        defaultAnswer = otherwise
    }

    func script(_ more: [Answer]) { answers.withLock { $0 += more } }

    func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        let answer = answers.withLock { $0.isEmpty ? defaultAnswer : $0.removeFirst() }
        var pending: [(index: Int, seq: Int)] = []
        try? chunk.forEachPendingEntry { index, _, record in
            if case .uint(let seq)? = try record.readValue()["seq"] { pending.append((index, Int(seq))) }
        }
        attempts.withLock {
            $0.append(Attempt(id: chunk.id, metadata: chunk.metadata, pending: pending.map(\.seq), retryCount: chunk.retryCount))
        }
        switch answer {
        case .deliver:
            accepted.withLock { $0 += pending.map(\.seq) }
            return .delivered
        case .acceptEveryOther:
            let taken = pending.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            accepted.withLock { $0 += taken.map(\.seq) }
            return .partial(accepted: EntrySet(taken.map(\.index)), error: DeliveryError("some throttled", code: "ProvisionedThroughputExceededException"))
        case .retry:
            return .retry(DeliveryError("unavailable", code: "HTTP 503"))
        case .reject:
            return .rejected(DeliveryError("access denied", code: "AccessDeniedException"))
        }
    }
}

/// A clock the test moves by hand; sleepers wake when it passes their deadline.
final class ManualClock: Clock, @unchecked Sendable {
    // @unchecked: all mutable state is inside `state`, a Mutex.
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: (deadline: Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())
    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }

    /// Like a real clock's, a sleep ends with `CancellationError` when its task is cancelled (the
    /// flush threads cancel the sleep they raced against a flush signal and wait for it to end).
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Now { case ready, cancelled, wait }
                let now = state.withLock { state -> Now in
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    if deadline <= state.now { return .ready }
                    state.sleepers[id] = (deadline, continuation)
                    return .wait
                }
                switch now {
                case .ready: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return Optional(sleeper) }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}

/// A fresh directory under the temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "runnel-buffer-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    func files(in sub: String = "buffer") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + sub)) ?? []).sorted()
    }
}

/// A logger whose warnings and errors the test can read.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: `messages` is a Mutex; the value-type properties are only set at creation.
    let messages: Mutex<[(Logger.Level, String)]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    init() { messages = Mutex([]) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // The metadata goes with the message, so tests can look for the system error in it.
        let details = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        messages.withLock { $0.append((event.level, event.message.description + (details.isEmpty ? "" : " " + details))) }
    }

    func count(_ level: Logger.Level, containing text: String) -> Int {
        messages.withLock { $0.filter { $0.0 == level && $0.1.contains(text) }.count }
    }
}

func recordingLogger() -> (Logger, RecordingLogHandler) {
    let handler = RecordingLogHandler()
    return (Logger(label: "test") { _ in handler }, handler)
}

func fileConfiguration(_ directory: TemporaryDirectory, keys: ChunkKeys = ChunkKeys(tag: true)) -> BufferConfiguration {
    var configuration = BufferConfiguration(type: .file, chunkKeys: keys)
    configuration.path = directory.path + "/buffer"
    configuration.retry.randomize = false
    return configuration
}
