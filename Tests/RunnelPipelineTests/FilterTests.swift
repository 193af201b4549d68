import Logging
import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelPipeline

func records(_ streams: [EventStream]) throws -> [MessagePackValue] {
    try streams.flatMap { try $0.decodedEntries().map(\.record) }
}

func stream(tag: String, _ records: [MessagePackValue], time: EventTime = EventTime(seconds: 1_700_000_000)) -> EventStream {
    var builder = EventStreamBuilder(tag: tag)
    for record in records { builder.append(time: time, record: record) }
    return builder.build()
}

@Suite struct RecordTransformerTests {
    func transformer(_ parameters: KeyValuePairs<String, String>, record: KeyValuePairs<String, String>) throws -> RecordTransformerFilter {
        let section = ConfigElement("record", "", record)
        return try RecordTransformerFilter(ConfigElement("filter", "**", parameters, children: [section]), logger: Logger(label: "test"), hostname: "host-1")
    }

    @Test(arguments: [
        ("${tag}", "app.web.access"),
        ("${tag_parts[0]}", "app"),
        ("${tag_parts[-1]}", "access"),
        ("${tag_prefix[1]}", "app.web"),
        ("${tag_suffix[1]}", "web.access"),
        ("${hostname}", "host-1"),
        ("${record[\"user\"]}", "alice"),
        ("${record['user']}", "alice"),
        ("user=${record[\"user\"]} n=${record[\"n\"]}", "user=alice n=42"),
        ("${record[\"nested\"]}", "{\"a\"=>1}"),
        ("${tag_parts[9]}", ""),
        ("${nope}", ""),
        ("plain text", "plain text"),
    ])
    func placeholders(template: String, expected: String) throws {
        let filter = try transformer([:], record: ["out": template])
        let input = stream(tag: "app.web.access", [.record(["user": "alice", "n": 42, "nested": .record(["a": 1])])])
        let output = try records(try filter.filter(input))
        #expect(output.first?["out"] == .string(expected))
    }

    @Test func autoTypecastKeepsTheTypeOfALonePlaceholder() throws {
        let filter = try transformer(["auto_typecast": "true"], record: ["copy": "${record[\"n\"]}", "text": "n${record[\"n\"]}"])
        let output = try records(try filter.filter(stream(tag: "t", [.record(["n": 42])])))
        #expect(output.first?["copy"] == 42)
        #expect(output.first?["text"] == "n42")
    }

    @Test func removeKeepAndRenew() throws {
        let input = stream(tag: "t", [.record(["a": 1, "b": 2, "c": .record(["d": 3, "e": 4])])])
        let removed = try records(try transformer(["remove_keys": "a,$.c.d"], record: [:]).filter(input))
        #expect(removed.first == .record(["b": 2, "c": .record(["e": 4])]))
        let renewed = try records(try transformer(["renew_record": "true", "keep_keys": "b"], record: ["x": "y"]).filter(input))
        #expect(renewed.first == .record(["b": 2, "x": "y"]))
    }

    @Test func renewTimeKeySetsTheEventTime() throws {
        let filter = try transformer(["renew_time_key": "ts"], record: [:])
        let output = try filter.filter(stream(tag: "t", [.record(["ts": 1_600_000_000])]))
        #expect(try output.first?.decodedEntries().first?.time == EventTime(seconds: 1_600_000_000))
    }

    @Test func enableRubyIsAnErrorNamingTheParameter() {
        let error = #expect(throws: ConfigError.self) { try transformer(["enable_ruby": "true"], record: [:]) }
        #expect(error?.message.contains("enable_ruby") == true)
    }
}

@Suite struct GrepFilterTests {
    let input = stream(tag: "t", [
        .record(["message": "GET /cool 200", "level": "info", "k": .record(["ns": "prod"])]),
        .record(["message": "GET /health 200", "level": "debug", "k": .record(["ns": "dev"])]),
        .record(["message": "POST /cool 500", "level": "error", "code": 500]),
        .record(["level": "info"]),
    ])

    func kept(_ element: ConfigElement) throws -> [String] {
        try records(try GrepFilter(element).filter(input)).map { $0["message"]?.stringValue ?? "-" }
    }

    func section(_ name: String, _ key: String, _ pattern: String) -> ConfigElement {
        ConfigElement(name, "", ["key": key, "pattern": pattern])
    }

    @Test func regexpKeepsMatchesAndDropsMissingFields() throws {
        #expect(try kept(ConfigElement("filter", "**", [:], children: [section("regexp", "message", "cool")])) == ["GET /cool 200", "POST /cool 500"])
    }

    @Test func excludeDropsMatches() throws {
        #expect(try kept(ConfigElement("filter", "**", [:], children: [section("exclude", "level", "/^(debug|info)$/")])) == ["POST /cool 500"])
    }

    @Test func recordAccessorAndNumbers() throws {
        #expect(try kept(ConfigElement("filter", "**", [:], children: [section("regexp", "$.k.ns", "prod")])) == ["GET /cool 200"])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [section("regexp", "code", "^5\\d\\d$")])) == ["POST /cool 500"])
    }

    @Test func andOrGroups() throws {
        let and = ConfigElement("and", "", [:], children: [section("regexp", "message", "cool"), section("regexp", "level", "info")])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [and])) == ["GET /cool 200"])
        let or = ConfigElement("or", "", [:], children: [section("exclude", "level", "debug"), section("exclude", "code", "500")])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [or])) == ["GET /cool 200", "-"])
    }

    @Test func legacyParametersAndCaseInsensitiveFlag() throws {
        #expect(try kept(ConfigElement("filter", "**", ["regexp1": "message /COOL/i"])) == ["GET /cool 200", "POST /cool 500"])
        #expect(try kept(ConfigElement("filter", "**", ["exclude1": "level info"])).count == 2)
    }

    @Test func badPatternIsAnErrorNamingIt() {
        let error = #expect(throws: ConfigError.self) { try GrepFilter(ConfigElement("filter", "**", [:], children: [section("regexp", "m", "(")])) }
        #expect(error?.message.contains("pattern") == true)
    }
}
