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

    @Test func runEmitsAtTheRateUntilShutdown() async throws {
        let sink = CountingSink()
        let input = SampleInput(configuration: try Self.configuration(["tag": "t", "rate": "50"]), sink: sink, logger: .init(label: "test"))
        let task = Task { try await input.run() }
        try await Task.sleep(for: .milliseconds(2500))
        task.cancel()
        try await task.value
        // Two whole seconds at 50 a second, and parts of the seconds at either end.
        #expect(sink.count >= 40 && sink.count <= 150, "\(sink.count) events")
    }
}

final class CountingSink: EventSink {
    private let counted = Mutex(0)
    var count: Int { counted.withLock { $0 } }
    func emit(_ stream: EventStream) async throws { counted.withLock { $0 += stream.count } }
}
