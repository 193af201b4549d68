import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelParsers

/// Fluentd's json parser (lib/fluent/plugin/parser_json.rb, `configure_json_parser`) hands the
/// line to Oj.load, Yajl.load or JSON.parse; each builds a Ruby Hash by assigning keys in order,
/// and assigning an existing key keeps its place. So `{"a":1,"b":2,"a":3}` becomes
/// `{"a"=>3, "b"=>2}`: the last value at the first position, at every depth.
struct JSONDuplicateKeyTests {
    @Test func lastValueWinsAtFirstPosition() throws {
        let r = try run(["@type": "json"], [#"{"a":1,"b":2,"a":3}"#])
        #expect(r.outcomes == [.emitted])
        #expect(r.events.first?.record == .record(["a": 3, "b": 2]))
    }

    @Test func nestedObjectsCollapseToo() throws {
        let r = try run(["@type": "json"], [#"{"o":{"x":1,"y":[{"k":1,"k":"two"}],"x":{"z":true}},"n":null}"#])
        #expect(r.events.first?.record == .record([
            "o": .record(["x": .record(["z": true]), "y": [.record(["k": "two"])]]), "n": nil,
        ]))
    }

    @Test func repeatedTimeKeyUsesTheLastTime() throws {
        let r = try run(["@type": "json", "utc": "true"], [#"{"time":"2023-11-14T22:13:20Z","m":1,"time":"2023-11-14T22:13:21Z"}"#])
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_001))
        #expect(r.events.first?.record == .record(["m": 1]))
        let kept = try run(["@type": "json", "utc": "true", "keep_time_key": "true"],
                           [#"{"time":"2023-11-14T22:13:20Z","m":1,"time":"2023-11-14T22:13:21Z"}"#])
        #expect(kept.events.first?.time == EventTime(seconds: 1_700_000_001))
        #expect(kept.events.first?.record == .record(["time": "2023-11-14T22:13:21Z", "m": 1]))
    }

    @Test func sameKeyInSiblingObjectsIsNoDuplicate() throws {
        let r = try run(["@type": "json"], [#"{"a":{"k":1},"b":{"k":2},"k":3}"#])
        #expect(r.events.first?.record == .record(["a": .record(["k": 1]), "b": .record(["k": 2]), "k": 3]))
    }

    @Test func dockerLogLinesCollapseToo() throws {
        let r = try run(["@type": "docker"], [#"{"log":"one\n","log":"two\n","stream":"stdout","time":"2023-11-14T22:13:20.5Z"}"#])
        #expect(r.events.first?.record["log"] == "two\n")
    }

    /// parser_json.rb `parse`: an Array yields one record per Hash element.
    @Test func topLevelArrayIsOneEventPerObject() throws {
        let r = try run(["@type": "json", "utc": "true"], [#"[{"a":1},{"a":2,"time":"2023-11-14T22:13:20Z"}, 7]"#])
        #expect(r.outcomes == [.emitted])
        #expect(r.events.map(\.record) == [.record(["a": 1]), .record(["a": 2])])
        #expect(r.events.map(\.time) == [fixedNow, EventTime(seconds: 1_700_000_000)])
        #expect(try run(["@type": "json"], [#"[1,2]"#]).outcomes == [.unmatched])
        #expect(try run(["@type": "json"], [#"[{"a":1},"#]).events.isEmpty)
    }
}
