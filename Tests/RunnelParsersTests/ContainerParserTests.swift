import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelParsers

/// Expected records: `cri` as fluent-plugin-parser-cri's parser_cri.rb builds them (stream,
/// logtag, message, then the kept time; every line an event), `container` with partial lines
/// joined as Fluent Bit does, and `docker` as Fluent Bit's parser (json, Time_Keep On).
struct ContainerParserTests {
    static let criLog = [
        "2023-11-14T22:13:20.000000001Z stdout F hello",
        "2023-11-14T22:13:21.5Z stdout P part one, ",
        "2023-11-14T22:13:21.6Z stderr F an error",
        "2023-11-14T22:13:21.7Z stdout P part two, ",
        "2023-11-14T22:13:21.8Z stdout F end",
        "2023-11-14T22:13:22+00:00 stdout F ",
        "not a cri line",
    ]

    /// parser_cri.rb: one event per line, `P` parts included; `<parse>` inside parses the message
    /// and `merge_cri_fields` adds stream and logtag.
    @Test func criEmitsEachLineAsFluentdDoes() throws {
        let r = try run(["@type": "cri"], Array(ContainerParserTests.criLog[0..<3]))
        #expect(r.outcomes == [.emitted, .emitted, .emitted])
        #expect(
            r.events.map(\.record) == [
                .record(["stream": "stdout", "logtag": "F", "message": "hello", "time": "2023-11-14T22:13:20.000000001Z"]),
                .record(["stream": "stdout", "logtag": "P", "message": "part one, ", "time": "2023-11-14T22:13:21.5Z"]),
                .record(["stream": "stderr", "logtag": "F", "message": "an error", "time": "2023-11-14T22:13:21.6Z"]),
            ])
        let parse = ConfigElement("parse", "", ["@type": "json"])
        var nested = try ParserRegistry.makeParser(element: ConfigElement("parse", "", ["@type": "cri"], children: [parse]))
        var output = ParserOutput()
        _ = nested.parse(#"2023-11-14T22:13:20Z stdout F {"level":"info","time":"2023-11-14T22:13:21Z","stream":"x"}"#, now: fixedNow, into: &output)
        #expect(output.decoded().first?.record == .record(["level": "info", "stream": "stdout", "logtag": "F"]))
        #expect(output.decoded().first?.time == EventTime(seconds: 1_700_000_001))
    }

    /// Every Fluentd parser takes time_format (Parser includes TimeMixin::Parser); the daemonset
    /// images set `%Y-%m-%dT%H:%M:%S.%N%:z` for cri (FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT).
    @Test func criReadsTheTimeWithTimeFormat() throws {
        let r = try run(["@type": "cri", "time_format": "%Y-%m-%dT%H:%M:%S.%N%:z"], ["2023-11-14T22:13:20.250000000+00:00 stdout F hi"])
        #expect(r.outcomes == [.emitted])
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000, nanoseconds: 250_000_000))
    }

    @Test func containerJoinsPartialCRILines() throws {
        let r = try run(["@type": "container"], ContainerParserTests.criLog)
        #expect(r.outcomes == [.emitted, .held, .emitted, .held, .emitted, .emitted, .unmatched])
        #expect(
            r.events.map(\.record) == [
                .record(["stream": "stdout", "logtag": "F", "message": "hello", "time": "2023-11-14T22:13:20.000000001Z"]),
                .record(["stream": "stderr", "logtag": "F", "message": "an error", "time": "2023-11-14T22:13:21.6Z"]),
                .record(["stream": "stdout", "logtag": "F", "message": "part one, part two, end", "time": "2023-11-14T22:13:21.5Z"]),
                .record(["stream": "stdout", "logtag": "F", "message": "", "time": "2023-11-14T22:13:22+00:00"]),
            ])
        #expect(
            r.events.map(\.time) == [
                EventTime(seconds: 1_700_000_000, nanoseconds: 1), EventTime(seconds: 1_700_000_001, nanoseconds: 600_000_000),
                EventTime(seconds: 1_700_000_001, nanoseconds: 500_000_000), EventTime(seconds: 1_700_000_002),
            ])
    }

    @Test func containerFlushEmitsHeldPartial() throws {
        let r = try run(["@type": "container"], ["2023-11-14T22:13:20Z stdout P dangling"], flush: true)
        #expect(r.events.first?.record == .record(["stream": "stdout", "logtag": "P", "message": "dangling", "time": "2023-11-14T22:13:20Z"]))
    }

    static let dockerLog = [
        #"{"log":"hello\n","stream":"stdout","time":"2023-11-14T22:13:20.123456789Z"}"#,
        #"{"log":"long line first 16k ","stream":"stdout","time":"2023-11-14T22:13:21.000000000Z"}"#,
        #"{"log":"oops\n","stream":"stderr","time":"2023-11-14T22:13:21.100000000Z"}"#,
        #"{"log":"and the rest\n","stream":"stdout","time":"2023-11-14T22:13:21.200000000Z"}"#,
        #"{"stream":"stdout"}"#,
    ]

    @Test func dockerJsonFile() throws {
        let r = try run(["@type": "docker"], ContainerParserTests.dockerLog)
        #expect(r.outcomes == [.emitted, .held, .emitted, .emitted, .unmatched])
        #expect(
            r.events.map(\.record) == [
                .record(["log": "hello\n", "stream": "stdout", "time": "2023-11-14T22:13:20.123456789Z"]),
                .record(["log": "oops\n", "stream": "stderr", "time": "2023-11-14T22:13:21.100000000Z"]),
                .record(["log": "long line first 16k and the rest\n", "stream": "stdout", "time": "2023-11-14T22:13:21.000000000Z"]),
            ])
        #expect(r.events[0].time == EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789))
    }

    @Test func containerDetectsEachLine() throws {
        let r = try run(["@type": "container"], [ContainerParserTests.dockerLog[0], ContainerParserTests.criLog[0]])
        #expect(
            r.events.map(\.record) == [
                .record(["log": "hello\n", "stream": "stdout", "time": "2023-11-14T22:13:20.123456789Z"]),
                .record(["stream": "stdout", "logtag": "F", "message": "hello", "time": "2023-11-14T22:13:20.000000001Z"]),
            ])
    }
}
