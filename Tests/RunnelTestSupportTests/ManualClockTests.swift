import Foundation
import Testing

@testable import RunnelTestSupport

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTheClockPassesTheirDeadline() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(10)) }
        try await waitUntil("the sleeper waits") { clock.waitingSleepers == 1 }
        clock.advance(by: .seconds(9))
        #expect(clock.waitingSleepers == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeps == [.seconds(10)])
        #expect(clock.now.offset == .seconds(10))
    }

    @Test func cancellingASleeperEndsItWithCancellationError() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(10)) }
        try await waitUntil("the sleeper waits") { clock.waitingSleepers == 1 }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.waitingSleepers == 0)
    }

    @Test func sleepsThatReturnAtOnceMoveTheClockAndAreRemembered() async throws {
        let clock = ManualClock(sleep: .returnsAtOnce)
        try await clock.sleep(for: .milliseconds(300))
        try await clock.sleep(for: .milliseconds(600))
        #expect(clock.sleeps == [.milliseconds(300), .milliseconds(600)])
        #expect(clock.now.offset == .milliseconds(900))
    }

    @Test func theDateFollowsTheClock() {
        let clock = ManualClock(wallOrigin: Date(timeIntervalSince1970: 1_000))
        clock.advance(by: .seconds(1.5))
        #expect(clock.date == Date(timeIntervalSince1970: 1_001.5))
        #expect(clock.dateFunction() == clock.date)
    }
}

@Suite struct LogCaptureTests {
    @Test func entriesKeepLevelMessageAndMergedMetadata() {
        let logs = LogCapture()
        var logger = logs.logger(label: "t", level: .info)
        logger[metadataKey: "kinesis.stream"] = "logs"
        logger.debug("not captured")
        logger.warning("throttled", metadata: ["kinesis.failed": "3"])
        #expect(logs.entries.count == 1)
        #expect(logs.entries.first?.label == "t")
        #expect(logs.entries.first?.text == "throttled kinesis.failed=3 kinesis.stream=logs")
        #expect(logs.count(.warning, containing: "kinesis.failed=3") == 1)
        #expect(logs.count(.error) == 0)
    }

    @Test func seededGeneratorsRepeatTheirSequence() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        #expect((0..<8).map { _ in first.next() } == (0..<8).map { _ in second.next() })
        // Vigna's splitmix64.c from state 0 starts with 0xE220A8397B1DCDAF.
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }
}
