import RunnelConfig
import RunnelCore
import Synchronization
import Testing

@testable import RunnelPipeline

/// in_sample's records, sizes and counter (Fluentd v1.16's in_sample).
@Suite struct SampleInputTests {
    static func configuration(_ parameters: KeyValuePairs<String, String>) throws -> SampleInput.Configuration {
        try SampleInput.Configuration(ConfigElement("source", "", parameters))
    }

    @Test func defaultsAreFluentds() throws {
        let configuration = try Self.configuration(["tag": "sample"])
        #expect(configuration.size == 1)
        #expect(configuration.rate == 1)
        #expect(configuration.autoIncrementKey == nil)
        #expect(configuration.samples == [[MessagePackPair(key: "message", value: "sample")]])
    }

    @Test func samplesTakeTurnsAndTheCounterCountsEveryEvent() throws {
        let configuration = try Self.configuration([
            "tag": "demo", "size": "2", "auto_increment_key": "id", "dummy": #"[{"hello":"world"},{"id":"x","n":1}]"#,
        ])
        var generator = SampleInput.Generator()
        let time = EventTime(seconds: 7)
        let first = try generator.stream(configuration, emits: 2, time: time).decodedEntries().map(\.record)
        #expect(
            first == [
                .record(["hello": "world", "id": 0]), .record(["id": 1, "n": 1]), .record(["hello": "world", "id": 2]),
                .record(["id": 3, "n": 1]),
            ])
        let next = try generator.stream(configuration, emits: 1, time: time).decodedEntries().map(\.record)
        #expect(next == [.record(["hello": "world", "id": 4]), .record(["id": 5, "n": 1])])
    }

    @Test func badSamplesAreConfigErrors() {
        #expect(throws: ConfigError.self) { try Self.configuration(["tag": "t", "sample": "[1]"]) }
        #expect(throws: ConfigError.self) { try Self.configuration(["tag": "t", "sample": "{oops"]) }
        #expect(throws: ConfigError.self) { try Self.configuration(["tag": "t", "rate": "0"]) }
        #expect(throws: ConfigError.self) { try Self.configuration(["sample": "{}"]) }
    }

    @Test func runEmitsNoMoreThanTheRateEachSecondAndStopsWhenCancelled() async throws {
        let sink = CountingSink()
        let input = SampleInput(configuration: try Self.configuration(["tag": "t", "rate": "30"]), sink: sink, logger: .init(label: "test"))
        let task = Task { try await input.run() }
        // More than one second's worth, so that the events span at least two seconds. (Not a rate
        // floor: a test process whose threads are all busy elsewhere wakes the input seldom.)
        let deadline = ContinuousClock.now + .seconds(120)
        while sink.count <= 30, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        try await task.value
        #expect(sink.count > 30)
        // Events carry the time they were made: no second has more than `rate` of them.
        let perSecond = Dictionary(grouping: sink.times, by: { $0 }).mapValues(\.count)
        #expect(perSecond.values.allSatisfy { $0 <= 30 }, "\(perSecond)")
    }
}

final class CountingSink: EventSink {
    private let seconds = Mutex<[UInt32]>([])
    var count: Int { seconds.withLock { $0.count } }
    var times: [UInt32] { seconds.withLock { $0 } }
    func emit(_ stream: EventStream) async throws {
        let times = try stream.decodedEntries().map(\.time.seconds)
        seconds.withLock { $0 += times }
    }
}
