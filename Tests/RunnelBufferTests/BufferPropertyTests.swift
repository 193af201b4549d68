import Foundation
import Logging
import RunnelCore
import Testing
import RunnelTestSupport

@testable import RunnelBuffer

/// Random sequences of buffer operations, replayable from their seed: appends, chunk closes,
/// flushes the scripted destination answers with success, partial acceptance, failure or
/// rejection, and restarts. After a final drain no event may be lost or duplicated, and every
/// chunk must hold a contiguous run of its tag's events in emission order.
@Suite struct BufferPropertyTests {
    enum Step: CaseIterable { case append, close, flushNow, flushDue, restart }

    static let tags = ["a", "b", "c"]
    static let answers: [ScriptedSender.Answer] = [.deliver, .acceptEveryOther, .retry, .reject]

    func makeBuffer(_ type: BufferConfiguration.StorageType, _ directory: TemporaryDirectory, _ sender: ScriptedSender, _ clock: ManualClock, _ logger: Logger)
        throws -> BufferedOutput
    {
        var configuration = type == .file ? fileConfiguration(directory) : BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.chunkLimitRecords = 10
        configuration.flushMode = .interval
        configuration.flushInterval = 1
        configuration.retry.wait = 1
        configuration.retry.maxInterval = 4
        configuration.retry.randomize = false
        configuration.retry.forever = true
        return try BufferedOutput(name: "prop", configuration: configuration, sender: sender, logger: logger, clock: clock)
    }

    func pick(_ rng: inout SplitMix64) -> Step {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<40: .append
        case 40..<50: .close
        case 50..<72: .flushNow
        case 72..<94: .flushDue
        default: .restart
        }
    }

    /// Scripts one random answer per chunk the next flush may send; leftovers are dropped after it.
    func scriptRandomAnswers(_ sender: ScriptedSender, _ buffer: BufferedOutput, _ rng: inout SplitMix64) {
        let chunks = buffer.status.queueLength + buffer.status.stageLength
        sender.script((0..<chunks).map { _ in Self.answers.randomElement(using: &rng)! })
    }

    @Test(arguments: [BufferConfiguration.StorageType.memory, .file], [1, 2, 3, 4, 5] as [UInt64])
    func randomOperationsLoseNothing(type: BufferConfiguration.StorageType, seed: UInt64) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rng = SplitMix64(seed: seed)
        let sender = ScriptedSender()
        let clock = ManualClock()
        let (logger, log) = recordingLogger()
        var trace: [String] = []
        var buffer = try makeBuffer(type, directory, sender, clock, logger)
        var emitted: [String: [Int]] = [:]
        var tagOf: [Int: String] = [:]
        var next = 0
        var counts: [Step: Int] = [:]

        for _ in 0..<300 {
            let step = pick(&rng)
            counts[step, default: 0] += 1
            trace.append("\(step) next=\(next)")
            switch step {
            case .append:
                let tag = Self.tags.randomElement(using: &rng)!
                let seqs = next..<(next + Int.random(in: 1...14, using: &rng))
                next = seqs.upperBound
                try await buffer.emit(makeStream(tag: tag, seqs: seqs))
                emitted[tag, default: []] += seqs
                for seq in seqs { tagOf[seq] = tag }
            case .close:
                if Bool.random(using: &rng) {
                    buffer.closeDueChunks(all: true)
                } else {
                    clock.advance(by: .seconds(1))
                    buffer.closeDueChunks(all: false)
                }
                await buffer.writeBarrier()
            case .flushNow:
                scriptRandomAnswers(sender, buffer, &rng)
                await buffer.flushNow()
            case .flushDue:
                clock.advance(by: .milliseconds(Int.random(in: 0...3000, using: &rng)))
                scriptRandomAnswers(sender, buffer, &rng)
                await buffer.flushDue()
            case .restart:
                // A memory buffer delivers at shutdown (flush_at_shutdown true) and loses whatever
                // that flush cannot deliver, by design; so its shutdown flush is not scripted to fail.
                sender.answers.withLock { $0.removeAll() }
                await buffer.shutdown()
                buffer = try makeBuffer(type, directory, sender, clock, logger)
            }
            sender.answers.withLock { $0.removeAll() }
        }

        sender.answers.withLock { $0.removeAll() }
        // The first flushNow also recovers what the last restart left; status knows nothing before.
        for _ in 0..<10 {
            await buffer.flushNow()
            if buffer.status.totalBytes == 0 && buffer.status.stageLength == 0 { break }
        }
        let leftover = buffer.state.withLock { state in
            state.chunks.values.map { "\($0.id) \($0.state) count=\($0.count) delivered=\($0.delivered.count) inQueue=\(state.queue.contains($0.id))" }
        }
        await buffer.shutdown()

        let accepted = sender.accepted.withLock { $0 }
        let attempts = sender.attempts.withLock { $0 }
        print(
            "property \(type) seed \(seed): \(next) events, \(attempts.count) sends, \(Set(attempts.map(\.id)).count) chunks, steps \(counts.sorted { "\($0.key)" < "\($1.key)" }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        )
        #expect(next > 0)
        let missing = Set(0..<next).subtracting(accepted)
        #expect(
            missing.isEmpty,
            "lost \(missing.count) events, e.g. \(missing.sorted().prefix(10)); chunks left: \(leftover); log: \(log.entries.filter { $0.level >= .warning && !$0.text.contains("failed to flush") && !$0.text.contains("rejected") }.map(\.text)); trace \(trace.suffix(25))"
        )
        #expect(accepted.count == Set(accepted).count, "\(accepted.count - Set(accepted).count) events delivered twice")
        #expect(buffer.status.totalBytes == 0 && buffer.status.queueLength == 0)
        if type == .file { #expect(directory.files(in: "buffer").isEmpty, "\(directory.files(in: "buffer"))") }

        var previous: [String: [Int]] = [:]
        for attempt in attempts {
            let tag = attempt.metadata.tag ?? "?"
            #expect(attempt.pending.allSatisfy { tagOf[$0] == tag }, "chunk \(attempt.id) of tag \(tag) holds others' events")
            #expect(zip(attempt.pending, attempt.pending.dropFirst()).allSatisfy { $0 < $1 }, "chunk \(attempt.id) out of order: \(attempt.pending)")
            if let before = previous[attempt.id] {
                // A retry sends everything again, or what acceptEveryOther left (odd positions).
                let rest = before.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
                #expect(attempt.pending == before || attempt.pending == rest, "chunk \(attempt.id): \(before) then \(attempt.pending)")
            } else if let all = emitted[tag], let first = attempt.pending.first, let start = all.firstIndex(of: first) {
                // The first send of a chunk holds a contiguous run of its tag's events.
                let end = start + attempt.pending.count
                #expect(end <= all.count && Array(all[start..<end]) == attempt.pending, "chunk \(attempt.id) is not a run of tag \(tag): \(attempt.pending)")
            }
            previous[attempt.id] = attempt.pending
        }
    }
}
