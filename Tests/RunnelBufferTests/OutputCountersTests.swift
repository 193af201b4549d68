import Logging
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import Testing

@testable import RunnelBuffer

/// Fluentd's output statistics (lib/fluent/plugin/output.rb: emit_count, write_count,
/// rollback_count, flush_time_count, slow_flush_count; buffer timekeys; the retry in progress).
@Suite struct OutputCountersTests {
    @Test func countsFollowEmitsAttemptsAndFailures() async throws {
        let sender = ScriptedSender([.retry, .retry])
        let clock = ManualClock()
        var configuration = BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: true, time: .init(period: 3600, useUTC: true)))
        configuration.retry.randomize = false
        let buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: Logger(label: "test"), clock: clock)
        try await buffer.emit(makeStream(seqs: 0..<3, time: 1_700_000_000))
        try await buffer.emit(makeStream(seqs: 3..<5, time: 1_700_003_600))
        var status = buffer.status
        #expect(status.counters.emitCount == 2)
        // Two hours' chunks: the time keys are the start of each hour.
        #expect(status.timekeys == [1_699_999_200, 1_700_002_800])
        #expect(status.retry == nil)

        await buffer.flushNow()
        status = buffer.status
        #expect(status.counters.writeCount == 2)
        #expect(status.counters.rollbackCount == 2)
        #expect(status.counters.slowFlushCount == 0)
        #expect(status.retryCount == 2)
        let retry = try #require(status.retry)
        #expect(retry.steps == 0)
        #expect(retry.nextTime - retry.start == configuration.retry.wait)

        let pairs = Dictionary(buffer.monitorStatus().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(pairs["emit_count"] == .uint(2))
        #expect(pairs["write_count"] == .uint(2))
        #expect(pairs["rollback_count"] == .uint(2))
        #expect(pairs["buffer_oldest_timekey"] == .int(1_699_999_200))
        #expect(pairs["buffer_newest_timekey"] == .int(1_700_002_800))

        clock.advance(by: .seconds(60))
        await buffer.flushNow()
        status = buffer.status
        #expect(status.counters.writeCount == 4)
        #expect(status.counters.rollbackCount == 2)
        #expect(status.retry == nil && status.timekeys.isEmpty)
    }
}
