import Logging
import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelParsers

struct ParserFilterTests {
    func filter(
        _ parameters: KeyValuePairs<String, String>, parse: KeyValuePairs<String, String> = ["@type": "json"],
        _ records: [MessagePackValue]
    ) throws -> [(time: EventTime, record: MessagePackValue)] {
        let element = ConfigElement("filter", "**", parameters, children: [ConfigElement("parse", "", parse)])
        let plugin = ParserFilterPlugin(
            configuration: try ParserFilterConfiguration(element),
            parser: try ParserRegistry.makeParser(pluginSection: element),
            logger: Logger(label: "test"))
        var builder = EventStreamBuilder(tag: "t")
        for record in records { builder.append(time: fixedNow, record: record) }
        return try plugin.filter(builder.build()).flatMap { try $0.decodedEntries() }
    }

    @Test func replacesRecordWithParsedFields() throws {
        let out = try filter(["key_name": "log"], [.record(["log": #"{"a":1,"time":1700000005}"#, "other": "x"])])
        #expect(out.map(\.record) == [.record(["a": 1])])
        #expect(out.first?.time == EventTime(seconds: 1_700_000_005))
    }

    @Test func reserveDataRemoveKeyPrefixAndHash() throws {
        let out = try filter(
            [
                "key_name": "log", "reserve_data": "true", "remove_key_name_field": "true", "inject_key_prefix": "p_",
                "hash_value_field": "parsed", "reserve_time": "true",
            ],
            [.record(["log": #"{"a":1,"time":1700000005}"#, "other": "x"])])
        #expect(out.map(\.record) == [.record(["other": "x", "parsed": .record(["p_a": 1])])])
        #expect(out.first?.time == fixedNow)
    }

    @Test func invalidRecordsDroppedOrReserved() throws {
        #expect(try filter(["key_name": "log"], [.record(["log": "not json"]), .record(["nolog": 1])]).isEmpty)
        let kept = try filter(["key_name": "log", "reserve_data": "true"], [.record(["log": "not json"])])
        #expect(kept.map(\.record) == [.record(["log": "not json"])])
    }
}

/// filter_parser.rb: `@accessor = record_accessor_create(@key_name)`; `remove_key_name_field`
/// deletes through the same accessor.
struct ParserFilterAccessorTests {
    func filter(_ parameters: KeyValuePairs<String, String>) throws -> ParserFilterPlugin {
        let parse = ConfigElement("parse", "", ["@type": "json"])
        let element = ConfigElement("filter", "**", parameters, children: [parse])
        return ParserFilterPlugin(
            configuration: try ParserFilterConfiguration(element),
            parser: try ParserRegistry.makeParser(element: parse), logger: Logger(label: "t"))
    }

    func run(_ plugin: ParserFilterPlugin, _ record: MessagePackValue) throws -> [MessagePackValue] {
        var builder = EventStreamBuilder(tag: "t")
        builder.append(time: EventTime(seconds: 1), record: record)
        return try plugin.filter(builder.build()).flatMap { try $0.decodedEntries().map(\.record) }
    }

    @Test func nestedKeyNames() throws {
        let record: MessagePackValue = .record(["log": .record(["message": #"{"a":1}"#]), "k": 2])
        #expect(try run(try filter(["key_name": "$.log.message"]), record) == [.record(["a": 1])])
        #expect(
            try run(try filter(["key_name": "$['log']['message']", "reserve_data": "true", "remove_key_name_field": "true"]), record)
                == [.record(["log": .map([]), "k": 2, "a": 1])])
        #expect(throws: ConfigError.self) { try filter(["key_name": "$.["]) }
    }

    /// handle_parsed with `{}` when the key is missing or the text does not parse (reserve_data).
    @Test func missingKeyWithHashValueField() throws {
        let plugin = try filter(["key_name": "$.nope", "reserve_data": "true", "hash_value_field": "parsed"])
        #expect(try run(plugin, .record(["k": 2])) == [.record(["k": 2, "parsed": .map([])])])
    }
}
