import Foundation
import Logging
import RunnelCore
import RunnelTestSupport
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

/// A logger whose entries the test can read, and the capture behind it.
func recordingLogger() -> (Logger, LogCapture) {
    let capture = LogCapture()
    return (capture.logger(level: .debug), capture)
}

func fileConfiguration(_ directory: TemporaryDirectory, keys: ChunkKeys = ChunkKeys(tag: true)) -> BufferConfiguration {
    var configuration = BufferConfiguration(type: .file, chunkKeys: keys)
    configuration.path = directory.path + "/buffer"
    configuration.retry.randomize = false
    return configuration
}
