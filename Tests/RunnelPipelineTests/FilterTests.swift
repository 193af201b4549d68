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

    /// With `auto_typecast false`, every value is text: PlaceholderExpander#expand's gsub of
    /// `/(\${[^}]+}|__[A-Z_]+__)/`, each replaced by Ruby's `to_s` of its entry in the table
    /// prepare_placeholders builds (filter_record_transformer.rb); no entry → nil → "".
    @Test(arguments: [
        ("${tag}", "app.web.access"),
        ("${tag_parts[0]}", "app"),
        ("${tag_parts[-1]}", "access"),
        ("${tag_prefix[1]}", "app.web"),
        ("${tag_suffix[1]}", "web.access"),
        ("${hostname}", "host-1"),
        ("${record[\"user\"]}", "alice"),
        // Only `record["key"]` entries exist: single quotes name nothing without enable_ruby.
        ("${record['user']}", ""),
        ("user=${record[\"user\"]} n=${record[\"n\"]}", "user=alice n=42"),
        ("${record[\"nested\"]}", "{\"a\"=>1}"),
        ("${tag_parts[9]}", ""),
        ("${tag_parts[01]}", ""),
        ("${nope}", ""),
        ("a __HOST__ b", "a  b"),
        ("${} stays", "${} stays"),
        ("plain text", "plain text"),
    ])
    func placeholders(template: String, expected: String) throws {
        let filter = try transformer(["auto_typecast": "false"], record: ["out": template])
        let input = stream(tag: "app.web.access", [.record(["user": "alice", "n": 42, "nested": .record(["a": 1])])])
        let output = try records(try filter.filter(input))
        #expect(output.first?["out"] == .string(expected))
    }

    /// filter_record_transformer.rb: `config_param :auto_typecast, :bool, default: true`; a value
    /// that is exactly one placeholder becomes the value itself (nil when unknown).
    @Test func autoTypecastIsTheDefault() throws {
        let filter = try transformer(
            [:],
            record: [
                "copy": "${record[\"n\"]}", "text": "n${record[\"n\"]}",
                "map": "${record[\"m\"]}", "gone": "${record[\"missing\"]}",
            ])
        let output = try records(try filter.filter(stream(tag: "t", [.record(["n": 42, "m": .record(["k": true])])])))
        #expect(
            output.first
                == .record([
                    "n": 42, "m": .record(["k": true]), "copy": 42, "text": "n42",
                    "map": .record(["k": true]), "gone": nil,
                ]))
    }

    /// parse_value: a value starting with `{` or `[` is JSON.parse'd; expand_placeholders then
    /// expands its strings (typed) and its hash keys (always text). Keys of <record> are expanded too.
    @Test func jsonValuesAndExpandedKeys() throws {
        let filter = try transformer(
            [:],
            record: [
                "obj": #"{"tag":"${tag}","n":"${record[\"n\"]}","list":[1,"${tag_parts[0]}",null],"k_${tag}":2.5}"#,
                "${tag_parts[1]}_key": "v",
                "bad": "{not json",
            ])
        let output = try records(try filter.filter(stream(tag: "app.web", [.record(["n": 7])])))
        #expect(
            output.first
                == .record([
                    "n": 7,
                    "obj": .record(["tag": "app.web", "n": 7, "list": [1, "app", nil], "k_app.web": 2.5]),
                    "web_key": "v",
                    "bad": "{not json",
                ]))
    }

    @Test func removeKeepAndRenew() throws {
        let input = stream(tag: "t", [.record(["a": 1, "b": 2, "c": .record(["d": 3, "e": 4])])])
        let removed = try records(try transformer(["remove_keys": "a,$.c.d"], record: [:]).filter(input))
        #expect(removed.first == .record(["b": 2, "c": .record(["e": 4])]))
        let renewed = try records(try transformer(["renew_record": "true", "keep_keys": "b,zz"], record: ["x": "y"]).filter(input))
        #expect(renewed.first == .record(["b": 2, "x": "y"]))
        // configure: "`renew_record` must be true to use `keep_keys`".
        let error = #expect(throws: ConfigError.self) { try transformer(["keep_keys": "b"], record: [:]) }
        #expect(error?.message.contains("renew_record") == true)
    }

    /// filter_stream reads `renew_time_key` from the new record (`.to_f`, then
    /// `EventTime.from_time(Time.at(...))`) and only then runs the remove_keys deleters: a key
    /// can set the time and be removed in the same filter.
    @Test func renewTimeKeyIsReadBeforeRemoveKeys() throws {
        let filter = try transformer(["renew_time_key": "ts", "remove_keys": "ts"], record: [:])
        let output = try filter.filter(
            stream(
                tag: "t",
                [
                    .record(["ts": 1_600_000_000, "m": 1]), .record(["ts": "1600000001.25xyz", "m": 2]), .record(["ts": 1_600_000_002.5, "m": 3]),
                    .record(["ts": .record(["no": "to_f"]), "m": 4]), .record(["m": 5]),
                ])
        ).flatMap { try $0.decodedEntries() }
        #expect(
            output.map(\.time) == [
                EventTime(seconds: 1_600_000_000), EventTime(seconds: 1_600_000_001, nanoseconds: 250_000_000),
                EventTime(seconds: 1_600_000_002, nanoseconds: 500_000_000), EventTime(seconds: 1_700_000_000),
            ])
        #expect(output.map(\.record) == [.record(["m": 1]), .record(["m": 2]), .record(["m": 3]), .record(["m": 5])])
    }

    @Test func rubyStringToF() {
        #expect(RecordTransformerFilter.rubyStringToF("  12.5abc") == 12.5)
        #expect(RecordTransformerFilter.rubyStringToF("1_000") == 1000)
        #expect(RecordTransformerFilter.rubyStringToF("abc") == 0)
        #expect(RecordTransformerFilter.rubyStringToF("-3e2x") == -300)
        #expect(RecordTransformerFilter.rubyStringToF("7.") == 7)
        #expect(RecordTransformerFilter.eventTime(fromUnixSeconds: 1.1) == EventTime(seconds: 1, nanoseconds: 100_000_000))
    }

    @Test func tagPartsSplitAsRuby() {
        #expect(PlaceholderValues.tagParts("a..b.") == ["a", "", "b"])
        #expect(PlaceholderValues.tagParts("") == [])
    }

    @Test func enableRubyIsAnErrorNamingTheParameter() {
        let error = #expect(throws: ConfigError.self) { try transformer(["enable_ruby": "true"], record: [:]) }
        #expect(error?.message.contains("enable_ruby") == true)
    }
}

@Suite struct GrepFilterTests {
    let input = stream(
        tag: "t",
        [
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

    /// filter_grep.rb `Expression#match?`: `key.call(record).to_s`, so a missing field is "".
    @Test func missingFieldIsTheEmptyString() throws {
        #expect(
            try kept(ConfigElement("filter", "**", [:], children: [section("exclude", "message", "^$")])) == [
                "GET /cool 200", "GET /health 200", "POST /cool 500",
            ])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [section("regexp", "code", "^$")])) == ["GET /cool 200", "GET /health 200", "-"])
    }

    /// filter_grep.rb configure: the regexps of every <or> go into one regexp_or_conditions, the
    /// excludes of every <and> into one exclude_and_conditions.
    @Test func severalOrSectionsAreOneCondition() throws {
        let or1 = ConfigElement("or", "", [:], children: [section("regexp", "level", "^error$")])
        let or2 = ConfigElement("or", "", [:], children: [section("regexp", "level", "^debug$")])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [or1, or2])) == ["GET /health 200", "POST /cool 500"])
        let and1 = ConfigElement("and", "", [:], children: [section("exclude", "level", "info")])
        let and2 = ConfigElement("and", "", [:], children: [section("exclude", "message", "cool")])
        #expect(try kept(ConfigElement("filter", "**", [:], children: [and1, and2])) == ["GET /health 200", "POST /cool 500", "-"])
    }

    @Test func badPatternIsAnErrorNamingIt() {
        let error = #expect(throws: ConfigError.self) { try GrepFilter(ConfigElement("filter", "**", [:], children: [section("regexp", "m", "(")])) }
        #expect(error?.message.contains("pattern") == true)
    }
}
