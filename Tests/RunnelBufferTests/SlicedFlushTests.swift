import Foundation
import Logging
import RunnelCore
import RunnelTestSupport
import Synchronization
import Testing

@testable import RunnelBuffer

/// A chunk is read and sent slice by slice (`ChunkSender.sliceBytes`), progress is saved after
/// each answer, and records an output defers are offered again later without holding the flush.
@Suite struct SlicedFlushTests {
    /// A destination that takes slices of at most `sliceBytes` and answers as scripted.
    final class SlicingSender: ChunkSender {
        enum Answer: Sendable {
            case deliver
            /// Accepts the pending entries of even seq; defers the others for `after`.
            case deferOdd(after: Duration)
            /// Fails the attempt (the destination is down).
            case fail
        }

        struct Attempt: Sendable {
            var firstIndex: Int
            var count: Int
            var pending: [Int]
            var mayDefer: Bool
            var retries: PendingRetries
            var indices: [Int]?
        }

        let sliceBytes: Int
        let answers = Mutex<[Answer]>([])
        let attempts = Mutex<[Attempt]>([])
        /// Called after the first half of a slice's pending entries was reported accepted, before the answer.
        let midway: (@Sendable () async -> Void)?

        /// The first attempt of the chunk of this tag answers `.deferOdd(after)`.
        let deferring: (tag: String, after: Duration)?

        init(
            sliceBytes: Int, answers: [Answer] = [], deferring: (tag: String, after: Duration)? = nil,
            midway: (@Sendable () async -> Void)? = nil
        ) {
            self.sliceBytes = sliceBytes
            self.deferring = deferring
            self.answers.withLock { $0 = answers }
            self.midway = midway
        }

        func send(_ chunk: ChunkToSend) async -> DeliveryResult {
            var answer = answers.withLock { $0.isEmpty ? .deliver : $0.removeFirst() }
            if let deferring, chunk.metadata.tag == deferring.tag, chunk.retries.attempts.isEmpty { answer = .deferOdd(after: deferring.after) }
            var pending: [(index: Int, seq: Int)] = []
            try? chunk.forEachPendingEntry { index, _, record in
                if case .uint(let seq)? = try record.readValue()["seq"] { pending.append((index, Int(seq))) }
            }
            attempts.withLock {
                $0.append(
                    Attempt(
                        firstIndex: chunk.firstIndex, count: chunk.count, pending: pending.map(\.seq), mayDefer: chunk.mayDefer, retries: chunk.retries,
                        indices: chunk.indices))
            }
            if let midway {
                chunk.onAccepted?(EntrySet(pending.prefix(pending.count / 2).map(\.index)))
                await midway()
            }
            switch answer {
            case .deliver:
                return .delivered
            case .deferOdd(let after):
                let even = pending.filter { $0.seq % 2 == 0 }.map(\.index)
                var retries = PendingRetries(backoffCount: chunk.retries.backoffCount + 1)
                for (index, seq) in pending where seq % 2 == 1 { retries.attempts[index] = (chunk.retries.attempts[index] ?? 0) + 1 }
                return .deferred(accepted: EntrySet(even), retries: retries, after: after)
            case .fail:
                return .retry(DeliveryError("destination down"))
            }
        }
    }

    static func entryBytes() -> Int { makeStream(seqs: [0]).entries.count }

    @Test(arguments: [false, true])
    func aChunkIsSentInSlicesOfWholeEntries(file: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Three entries per slice, and a last one of one entry.
        let sender = SlicingSender(sliceBytes: Self.entryBytes() * 3 + Self.entryBytes() / 2)
        var configuration = file ? fileConfiguration(directory) : BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.chunkLimitSize = 1 << 20
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: Logger(label: "t"), clock: ManualClock())
        try await buffer.emit(makeStream(seqs: 0..<10))
        await buffer.flushNow()
        let attempts = sender.attempts.withLock { $0 }
        #expect(attempts.map(\.firstIndex) == [0, 3, 6, 9])
        #expect(attempts.map(\.count) == [3, 3, 3, 1])
        #expect(attempts.flatMap(\.pending) == Array(0..<10))
        #expect(buffer.status.queueLength == 0 && buffer.status.totalBytes == 0)
        if file { #expect(directory.files(in: "buffer").isEmpty) }
    }

    @Test func anEntryLargerThanASliceComesAlone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sender = SlicingSender(sliceBytes: Self.entryBytes() * 2)
        let buffer = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory), sender: sender, logger: Logger(label: "t"), clock: ManualClock())
        var builder = EventStreamBuilder(tag: "app.test")
        builder.append(encodedEntries: makeStream(seqs: [0, 1]).entries, count: 2)
        builder.append(encodedEntries: makeStream(seqs: [2], padding: 5000).entries, count: 1)
        builder.append(encodedEntries: makeStream(seqs: [3]).entries, count: 1)
        try await buffer.emit(builder.build())
        await buffer.flushNow()
        #expect(sender.attempts.withLock { $0.map(\.pending) } == [[0, 1], [2], [3]])
    }

    /// A crash cuts the last write of a chunk: the whole entries before the cut are sent, the
    /// torn one is not, wherever the slice boundaries fall.
    @Test func aTornTailEndsTheLastSlice() throws {
        let storage = MemoryChunkStorage()
        let meta = ChunkMetaRecord(id: "c", metadata: ChunkMetadata(tag: "t"), count: 5, createdAt: 0, modifiedAt: 0)
        try storage.create(meta)
        let entries = makeStream(seqs: 0..<5).entries
        try storage.append(id: "c", Array(entries.dropLast(3)))
        var slices = ChunkSlices(id: "c", sliceBytes: Self.entryBytes() * 2)
        var seen: [Int] = []
        while let slice = try slices.next(from: storage) { seen += try seqs(of: slice.entries) }
        #expect(seen == [0, 1, 2, 3])
        #expect(slices.entriesRead == 4)
    }

    /// Deferred records do not hold the flush thread: the chunk goes back to the queue until its
    /// wait is over, a later chunk is sent meanwhile, and then only the deferred records go, with
    /// their attempts carried over. Deferring is not a failure: no retry is counted.
    @Test func deferredRecordsWaitInTheQueueWhileOtherChunksGo() async throws {
        let clock = ManualClock()
        let sender = SlicingSender(sliceBytes: .max, deferring: ("a", .seconds(2)))
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.retry.randomize = false
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: Logger(label: "t"), clock: clock)
        try await buffer.emit(makeStream(tag: "a", seqs: 0..<6))
        try await buffer.emit(makeStream(tag: "b", seqs: 100..<102))
        clock.advance(by: .seconds(61))
        await buffer.flushDue()
        var attempts = sender.attempts.withLock { $0 }
        #expect(Set(attempts.map(\.pending)) == [[0, 1, 2, 3, 4, 5], [100, 101]])
        #expect(attempts.allSatisfy { $0.mayDefer })
        #expect(buffer.status.queueLength == 1)
        clock.advance(by: .seconds(2))
        await buffer.flushDue()
        attempts = sender.attempts.withLock { $0 }
        #expect(attempts.map(\.pending).last == [1, 3, 5])
        let retried = attempts.first { $0.pending == [1, 3, 5] }
        #expect(retried?.retries == PendingRetries(attempts: [1: 1, 3: 1, 5: 1], backoffCount: 1))
        // The retry holds only the entries still to send, with their indices.
        #expect(retried?.indices == [1, 3, 5])
        #expect(buffer.status.retryCount == 0)
        #expect(buffer.status.queueLength == 0)
    }

    /// A failed attempt hands the chunk to the buffer's retry, and the attempt after it starts
    /// the per-record retries afresh, as fluent-plugin-kinesis' write of a retried chunk does:
    /// records whose batch retries ran out get `retries_on_batch_request` more, not one try per
    /// `retry_wait`.
    @Test func anAttemptAfterAFailureStartsThePerRecordRetriesAfresh() async throws {
        let clock = ManualClock()
        let sender = SlicingSender(sliceBytes: .max, answers: [.deferOdd(after: .seconds(2)), .fail, .deliver])
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.retry.randomize = false
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: Logger(label: "t"), clock: clock)
        try await buffer.emit(makeStream(tag: "a", seqs: 0..<4))
        clock.advance(by: .seconds(61))
        await buffer.flushDue()
        clock.advance(by: .seconds(2))
        await buffer.flushDue()
        #expect(buffer.status.retryCount == 1)
        clock.advance(by: .seconds(2))
        await buffer.flushDue()
        let attempts = sender.attempts.withLock { $0 }
        #expect(attempts.map(\.pending) == [[0, 1, 2, 3], [1, 3], [1, 3]])
        #expect(attempts[1].retries == PendingRetries(attempts: [1: 1, 3: 1], backoffCount: 1))
        #expect(attempts[2].retries == PendingRetries())
        #expect(buffer.status.queueLength == 0)
    }

    /// Shutdown and `flush` commands leave nothing for later: the output is told it may not defer.
    @Test func flushNowDoesNotAllowDeferring() async throws {
        let sender = SlicingSender(sliceBytes: .max)
        let buffer = try BufferedOutput(
            name: "out", configuration: BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true)), sender: sender,
            logger: Logger(label: "t"), clock: ManualClock())
        try await buffer.emit(makeStream(seqs: 0..<2))
        await buffer.flushNow()
        #expect(sender.attempts.withLock { $0.map(\.mayDefer) } == [false])
    }

    /// What the output reports accepted during a send is in the chunk's metadata on disk before
    /// the send ends, so a crash then re-sends only the rest.
    @Test func progressIsSavedWhileTheChunkIsStillBeingSent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let saved = Mutex<EntrySet?>(nil)
        let path = directory.path + "/buffer"
        let sender = SlicingSender(
            sliceBytes: .max,
            midway: {
                // The save is group-committed off the send; wait for it as a crash would not.
                for _ in 0..<2000 {
                    if let meta = try? FileManager.default.contentsOfDirectory(atPath: path).first(where: { $0.hasPrefix("buffer.q") && $0.hasSuffix(".meta") }
                    ),
                        let bytes = FileManager.default.contents(atPath: path + "/" + meta),
                        let record = try? ChunkMetaRecord(decoding: Array(bytes), path: meta), !record.delivered.isEmpty
                    {
                        saved.withLock { $0 = record.delivered }
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            })
        let buffer = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory), sender: sender, logger: Logger(label: "t"), clock: ManualClock())
        try await buffer.emit(makeStream(seqs: 0..<10))
        await buffer.flushNow()
        #expect(saved.withLock { $0 } == EntrySet(0..<5))
        #expect(directory.files(in: "buffer").isEmpty)
    }

    /// Three attempts in a row that get nothing through: the destination looks down, and no
    /// chunk is sent until the last failed one's retry time (Fluentd holds its output during a
    /// retry), instead of every queued chunk failing in turn. Progress lifts the pause.
    @Test func failuresInARowPauseTheOutputUntilTheRetry() async throws {
        let clock = ManualClock()
        let sender = ScriptedSender([.retry, .retry, .retry])
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.retry.randomize = false
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: Logger(label: "t"), clock: clock)
        for tag in ["a", "b", "c", "d"] { try await buffer.emit(makeStream(tag: tag, seqs: 0..<2)) }
        clock.advance(by: .seconds(61))
        await buffer.flushDue()
        let failed = sender.attempts.withLock { $0.compactMap(\.metadata.tag) }
        #expect(failed.count == 3)
        clock.advance(by: .milliseconds(500))
        await buffer.flushDue()
        #expect(sender.attempts.withLock { $0.count } == 3)
        // retry_wait 1 s: the three failed ones and the waiting fourth all go, and delivering lifts the pause.
        clock.advance(by: .milliseconds(600))
        await buffer.flushDue()
        let tags = sender.attempts.withLock { $0.compactMap(\.metadata.tag) }
        #expect(tags.count == 7 && Set(tags) == ["a", "b", "c", "d"])
        #expect(buffer.status.queueLength == 0)
    }

    /// A flush thread sleeps until the first staged chunk's flush_interval is up, not a whole
    /// flush_thread_interval past it.
    @Test func theFlushThreadWakesWhenAChunkIsDue() async throws {
        let clock = ManualClock()
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.flushMode = .interval
        configuration.flushInterval = 1
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: ScriptedSender(), logger: Logger(label: "t"), clock: clock)
        #expect(buffer.state.withLock { $0.nextCloseTime(config: configuration) } == nil)
        clock.advance(by: .milliseconds(300))
        try await buffer.emit(makeStream(seqs: 0..<2))
        let due = try #require(buffer.state.withLock { $0.nextCloseTime(config: configuration) })
        #expect(abs(due - (buffer.clock.now() + 1)) < 0.01)
    }
}
