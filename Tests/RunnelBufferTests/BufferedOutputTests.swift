import Logging
import RunnelCore
import RunnelPipeline
import Synchronization
import Testing
import RunnelTestSupport

@testable import RunnelBuffer

@Suite struct BufferedOutputTests {
    func memoryBuffer(
        _ sender: ScriptedSender, secondary: (any ChunkSender)? = nil, clock: ManualClock = ManualClock(),
        logger: Logger = Logger(label: "test"), _ change: (inout BufferConfiguration) -> Void = { _ in }
    ) throws -> BufferedOutput {
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true))
        configuration.retry.randomize = false
        change(&configuration)
        return try BufferedOutput(name: "out", configuration: configuration, sender: sender, secondary: secondary, logger: logger, clock: clock)
    }

    @Test func emitThenFlushNowDeliversEverythingInOrder() async throws {
        let sender = ScriptedSender()
        let buffer = try memoryBuffer(sender)
        try await buffer.emit(makeStream(seqs: 0..<5))
        try await buffer.emit(makeStream(seqs: 5..<9))
        try await buffer.emit(makeStream(tag: "other", seqs: 9..<12))
        #expect(buffer.status.stageLength == 2)
        await buffer.flushNow()
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(0..<12))
        #expect(sender.attempts.withLock { $0.map(\.pending) }.contains(Array(0..<9)))
        #expect(buffer.status.totalBytes == 0 && buffer.status.queueLength == 0)
        #expect(buffer.status.emitRecords == 12)
    }

    @Test func chunkLimitRecordsCutsStreams() async throws {
        let sender = ScriptedSender()
        let buffer = try memoryBuffer(sender) { $0.chunkLimitRecords = 10 }
        try await buffer.emit(makeStream(seqs: 0..<25))
        #expect(buffer.status.queueLength == 2)
        await buffer.flushNow()
        #expect(sender.attempts.withLock { $0.map(\.pending) } == [Array(0..<10), Array(10..<20), Array(20..<25)])
    }

    @Test func chunkLimitSizeCutsAtEntryBoundaries() async throws {
        let sender = ScriptedSender()
        let one = makeStream(seqs: [0]).entries.count
        let buffer = try memoryBuffer(sender) { $0.chunkLimitSize = one * 4 + one / 2 }
        try await buffer.emit(makeStream(seqs: 0..<10))
        await buffer.flushNow()
        let batches = sender.attempts.withLock { $0.map(\.pending) }
        #expect(batches.flatMap { $0 } == Array(0..<10))
        #expect(batches.allSatisfy { $0.count <= 4 })
    }

    @Test func partialAcceptanceResendsOnlyTheRest() async throws {
        let sender = ScriptedSender([.acceptEveryOther, .acceptEveryOther])
        let buffer = try memoryBuffer(sender)
        try await buffer.emit(makeStream(seqs: 0..<8))
        await buffer.flushNow()
        await buffer.flushNow()
        await buffer.flushNow()
        let attempts = sender.attempts.withLock { $0 }
        #expect(attempts.map(\.pending) == [Array(0..<8), [1, 3, 5, 7], [3, 7]])
        #expect(attempts.map(\.retryCount) == [0, 1, 2])
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(0..<8))
        #expect(buffer.status.totalBytes == 0)
    }

    @Test func throwExceptionOnOverflow() async throws {
        let buffer = try memoryBuffer(ScriptedSender()) {
            $0.chunkLimitSize = 2000; $0.totalLimitSize = 4000
        }
        var thrown: PipelineError?
        for i in 0..<100 {
            do { try await buffer.emit(makeStream(seqs: (i * 10)..<(i * 10 + 10))) } catch let error as PipelineError {
                thrown = error
                break
            }
        }
        guard case .bufferOverflow(let output)? = thrown else {
            Issue.record("expected bufferOverflow, got \(String(describing: thrown))")
            return
        }
        #expect(output == "out")
        #expect(buffer.status.totalBytes <= 4000)
    }

    @Test func blockSuspendsUntilRoomReturns() async throws {
        let sender = ScriptedSender()
        let stream = makeStream(seqs: 0..<10)
        let buffer = try memoryBuffer(sender) {
            $0.chunkLimitSize = stream.entries.count
            $0.totalLimitSize = stream.entries.count
            $0.overflowAction = .block
        }
        try await buffer.emit(stream)
        final class Flag: Sendable { let value = Mutex(false) }
        let done = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await buffer.emit(makeStream(seqs: 10..<20))
                done.value.withLock { $0 = true }
            }
            for _ in 0..<200 { await Task.yield() }
            let finishedEarly = done.value.withLock { $0 }
            #expect(!finishedEarly)
            await buffer.flushNow()
            try await group.waitForAll()
        }
        await buffer.flushNow()
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(0..<20))
    }

    @Test func dropOldestChunkMakesRoom() async throws {
        let sender = ScriptedSender()
        let stream = makeStream(seqs: 0..<10)
        let buffer = try memoryBuffer(sender) {
            $0.chunkLimitRecords = 10
            $0.totalLimitSize = stream.entries.count * 2
            $0.overflowAction = .dropOldestChunk
        }
        try await buffer.emit(stream)
        try await buffer.emit(makeStream(seqs: 10..<20))
        try await buffer.emit(makeStream(seqs: 20..<30))
        #expect(buffer.status.droppedRecords == 10)
        await buffer.flushNow()
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(10..<30))
    }

    @Test func retriesFollowThePolicyOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let sender = ScriptedSender([.retry, .retry, .retry])
        let buffer = try memoryBuffer(sender, clock: clock) {
            $0.retry.wait = 10; $0.retry.maxInterval = 15
        }
        try await buffer.emit(makeStream(seqs: 0..<3))
        await buffer.flushNow()  // t=0: fails, next at 10
        var times: [Double] = []
        for _ in 0..<60 {
            clock.advance(by: .seconds(1))
            let before = sender.attempts.withLock { $0.count }
            await buffer.flushDue()
            if sender.attempts.withLock({ $0.count }) > before { times.append(buffer.clock.now()) }
        }
        // Fluentd's series: 10, then 10, 20 capped at 15.
        #expect(times == [10, 20, 35])
        #expect(buffer.status.retryCount == 3)
        #expect(sender.accepted.withLock { $0 } == [0, 1, 2])
    }

    @Test func intervalFlushWaitsForFlushInterval() async throws {
        let clock = ManualClock()
        let sender = ScriptedSender()
        let buffer = try memoryBuffer(sender, clock: clock) { $0.flushInterval = 60 }
        try await buffer.emit(makeStream(seqs: 0..<3))
        clock.advance(by: .seconds(59))
        await buffer.flushDue()
        #expect(sender.attempts.withLock { $0.isEmpty })
        clock.advance(by: .seconds(1))
        await buffer.flushDue()
        #expect(sender.accepted.withLock { $0 } == [0, 1, 2])
    }

    @Test func immediateModeQueuesEveryEmit() async throws {
        let sender = ScriptedSender()
        let buffer = try memoryBuffer(sender) { $0.flushMode = .immediate }
        try await buffer.emit(makeStream(seqs: 0..<3))
        await buffer.flushDue()
        #expect(sender.accepted.withLock { $0 } == [0, 1, 2])
    }

    @Test func secondaryTakesOverAfterThresholdAndRetriesRunOutWithout() async throws {
        let clock = ManualClock()
        let primary = ScriptedSender(otherwise: .retry)
        let secondary = ScriptedSender()
        let buffer = try memoryBuffer(primary, secondary: secondary, clock: clock) { $0.retry.timeout = 100 }
        try await buffer.emit(makeStream(seqs: 0..<4))
        await buffer.flushNow()
        for _ in 0..<100 {
            clock.advance(by: .seconds(1))
            await buffer.flushDue()
        }
        #expect(secondary.accepted.withLock { $0 } == [0, 1, 2, 3])
        #expect(primary.attempts.withLock { $0.count } == 8)  // 0, 1, 2, 4, 8, 16, 32, 64; secondary at 80

        let (logger, log) = recordingLogger()
        let alone = try memoryBuffer(ScriptedSender(otherwise: .retry), clock: clock, logger: logger) { $0.retry.timeout = 20 }
        try await alone.emit(makeStream(seqs: 0..<4))
        await alone.flushNow()
        for _ in 0..<30 {
            clock.advance(by: .seconds(1))
            await alone.flushDue()
        }
        #expect(alone.status.droppedRecords == 4 && alone.status.totalBytes == 0)
        #expect(log.count(.error, containing: "hit the retry limit") == 1)
    }

    @Test func rejectedGoesToSecondaryAtOnceOrIsLoggedOnce() async throws {
        let secondary = ScriptedSender()
        let buffer = try memoryBuffer(ScriptedSender(otherwise: .reject), secondary: secondary)
        try await buffer.emit(makeStream(seqs: 0..<4))
        await buffer.flushNow()
        await buffer.flushNow()
        #expect(secondary.accepted.withLock { $0 } == [0, 1, 2, 3])

        let clock = ManualClock()
        let (logger, log) = recordingLogger()
        let alone = try memoryBuffer(ScriptedSender(otherwise: .reject), clock: clock, logger: logger)
        try await alone.emit(makeStream(seqs: 0..<4))
        for _ in 0..<5 {
            await alone.flushNow()
            clock.advance(by: .seconds(100))
        }
        #expect(log.count(.error, containing: "rejected") == 1)
        #expect(alone.status.totalBytes > 0)
    }

    @Test func retryAfterIsHonoured() async throws {
        struct SlowDown: ChunkSender {
            func send(_ chunk: ChunkToSend) async -> DeliveryResult { .retry(DeliveryError("slow down", retryAfter: .seconds(42))) }
        }
        let clock = ManualClock()
        var configuration = BufferConfiguration(type: .memory)
        configuration.retry.randomize = false
        let buffer = try BufferedOutput(name: "o", configuration: configuration, sender: SlowDown(), logger: Logger(label: "t"), clock: clock)
        try await buffer.emit(makeStream(seqs: 0..<1))
        await buffer.flushNow()
        #expect(buffer.state.withLock { $0.nextAttemptTime() } == 42)
    }

    @Test func runStopsOnRequestAndFlushesAtShutdown() async throws {
        let sender = ScriptedSender()
        let buffer = try memoryBuffer(sender, clock: ManualClock())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await buffer.run() }
            try await buffer.emit(makeStream(seqs: 0..<5))
            buffer.stop()
            try await group.waitForAll()
        }
        #expect(sender.accepted.withLock { $0 } == Array(0..<5))
        await #expect(throws: PipelineError.self) { try await buffer.emit(makeStream(seqs: 5..<6)) }
    }

    @Test func secondaryFileWritesPendingEntries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = SecondaryFileWriter(directory: directory.path + "/${tag}", basename: "dump.bin")
        let stream = makeStream(seqs: 0..<4)
        let chunk = ChunkToSend(id: "ab", metadata: ChunkMetadata(tag: "app"), entries: stream.entries, count: 4, delivered: EntrySet([1]))
        let result = await writer.send(chunk)
        guard case .delivered = result else {
            Issue.record("secondary_file failed: \(result)")
            return
        }
        let written = try FileIO.readAll(directory.path + "/app/dump.bin.0")
        #expect(try seqs(of: written) == [0, 2, 3])
    }
}
