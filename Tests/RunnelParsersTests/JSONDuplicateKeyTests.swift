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
        #expect(
            r.events.first?.record
                == .record([
                    "o": .record(["x": .record(["z": true]), "y": [.record(["k": "two"])]]), "n": nil,
                ]))
    }

    @Test func repeatedTimeKeyUsesTheLastTime() throws {
        let r = try run(["@type": "json", "utc": "true"], [#"{"time":"2023-11-14T22:13:20Z","m":1,"time":"2023-11-14T22:13:21Z"}"#])
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_001))
        #expect(r.events.first?.record == .record(["m": 1]))
        let kept = try run(
            ["@type": "json", "utc": "true", "keep_time_key": "true"],
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

/// The preset parsers against the regexps Fluentd and the daemonset images register.
struct PresetParserTests {
    /// parser_apache.rb: a RegexpParser, so every field is text, `time_format %d/%b/%Y:%H:%M:%S %z`.
    @Test func apacheIsTheAccessLogRegexp() throws {
        let line = #"192.168.0.1 - frank [14/Nov/2023:22:13:20 +0000] "GET /index.html HTTP/1.1" 200 777 "http://ref/" "Mozilla/5.0""#
        let r = try run(["@type": "apache"], [line, #"10.0.0.1 - - [14/Nov/2023:22:13:21 +0000] "-" 408 -"#])
        #expect(
            r.events.map(\.record) == [
                .record([
                    "host": "192.168.0.1", "user": "frank", "method": "GET", "path": "/index.html", "code": "200", "size": "777",
                    "referer": "http://ref/", "agent": "Mozilla/5.0",
                ]),
                .record(["host": "10.0.0.1", "user": "-", "method": "-", "code": "408", "size": "-"]),
            ])
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
    }

    /// parser_apache_error.rb.
    @Test func apacheErrorIsSeparate() throws {
        let r = try run(
            ["@type": "apache_error", "time_format": "%b %d %H:%M:%S.%N %Y", "utc": "true"],
            ["[Tue Nov 14 22:13:20.000000 2023] [core:error] [pid 35708] [client 1.2.3.4:5] File does not exist"])
        #expect(r.events.first?.record == .record(["level": "core:error", "pid": "35708", "client": "1.2.3.4:5", "message": "File does not exist"]))
    }

    /// parser_apache2.rb reads the time with its own TIME_FORMAT, whatever time_format says.
    @Test func apache2IgnoresTimeFormat() throws {
        let line = #"192.168.0.1 - - [14/Nov/2023:22:13:20 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#
        #expect(try run(["@type": "apache2", "time_format": "%Y"], [line]).events.first?.time == EventTime(seconds: 1_700_000_000))
    }

    /// docker-image/v1.19/*/plugins/parser_kubernetes.rb (a RegexpParser whose configure sets
    /// expression and time_format) and parser_multiline_kubernetes.rb (a MultilineParser).
    @Test func kubernetesParsers() throws {
        let single = try run(
            ["@type": "kubernetes", "utc": "true", "time_format": "ignored"],
            ["W1114 22:13:20.5 99 server.go:1] short", "no"])
        #expect(single.outcomes == [.emitted, .unmatched])
        #expect(single.events.first?.record == .record(["severity": "W", "pid": "99", "source": "server.go:1", "message": "short"]))
        let multi = try run(
            ["@type": "multiline_kubernetes", "utc": "true"],
            ["I1114 22:13:20.1 7 a.go:2] first", "  continued", "I1114 22:13:21.1 7 a.go:3] second"], flush: true)
        #expect(
            multi.events.map(\.record) == [
                .record(["severity": "I", "pid": "7", "source": "a.go:2", "message": "first\n  continued"]),
                .record(["severity": "I", "pid": "7", "source": "a.go:3", "message": "second"]),
            ])
    }

    /// parser_multiline.rb `parse`: after a match, the rest (less one newline) is matched again.
    @Test func multilineMatchesTheRestAgain() throws {
        let r = try run(
            ["@type": "multiline", "format_firstline": "/^start/", "format1": "/^start (?<n>\\d+)$/"],
            ["start 1", "start 2"], flush: true)
        #expect(r.events.map(\.record) == [.record(["n": "1"]), .record(["n": "2"])])
        let joined = try run(["@type": "multiline", "format_firstline": "/^S/", "format1": "/^S(?<a>\\d)\\n?/"], ["S1", "S2"], flush: true)
        #expect(joined.events.count == 2)
        #expect(throws: ConfigError.self) {
            try run(["@type": "multiline", "format_firstline": "/^S/", "format1": "/(?<a>.)/", "format3": "/x/"], [])
        }
    }
}
