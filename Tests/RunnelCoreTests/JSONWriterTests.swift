import Testing
@testable import RunnelCore

/// JSON text as Ruby's `JSON.generate` (and Oj in compat mode, Fluentd's json formatter) writes it.
struct JSONWriterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var value: MessagePackValue
        var json: String
        var testDescription: String { name }
    }

    static let strings: [Case] = [
        Case(name: "plain", value: "hello", json: #""hello""#),
        Case(name: "empty", value: "", json: #""""#),
        Case(name: "quote", value: "a\"b", json: #""a\"b""#),
        Case(name: "backslash", value: "a\\b", json: #""a\\b""#),
        Case(name: "slash is not escaped", value: "a/b", json: #""a/b""#),
        Case(name: "newline, return, tab", value: "\n\r\t", json: #""\n\r\t""#),
        Case(name: "backspace, form feed", value: "\u{08}\u{0c}", json: #""\b\f""#),
        Case(name: "NUL", value: "\u{00}", json: #""\u0000""#),
        Case(name: "other control characters", value: "\u{01}\u{1f}\u{0b}", json: #""\u0001\u001f\u000b""#),
        Case(name: "DEL is not escaped", value: "\u{7f}", json: "\"\u{7f}\""),
        Case(name: "non-ASCII stays UTF-8", value: "héllo 日本 😀", json: "\"héllo 日本 😀\""),
        Case(name: "U+2028 and U+2029 stay as they are", value: "a\u{2028}b\u{2029}", json: "\"a\u{2028}b\u{2029}\""),
        Case(name: "escapes between runs", value: "ab\"cd\\ef\ngh", json: #""ab\"cd\\ef\ngh""#),
    ]

    static let numbers: [Case] = [
        Case(name: "zero", value: 0, json: "0"),
        Case(name: "small", value: 7, json: "7"),
        Case(name: "uint64 max", value: .uint(UInt64.max), json: "18446744073709551615"),
        Case(name: "int64 max", value: .uint(UInt64(Int64.max)), json: "9223372036854775807"),
        Case(name: "int64 min", value: .int(Int64.min), json: "-9223372036854775808"),
        Case(name: "negative", value: .int(-42), json: "-42"),
        Case(name: "float 1.0", value: .double(1), json: "1.0"),
        // Floats as Fluentd's JSON formatter writes them: Oj in compat mode (lib/fluent/env.rb
        // DEFAULT_OJ_OPTIONS; Oj's dump_float: 0.0 for either zero, "%.1f" for whole numbers in Int64).
        Case(name: "float -0.0", value: .double(-0.0), json: "0.0"),
        Case(name: "float 0.0", value: .double(0), json: "0.0"),
        Case(name: "float 1.5", value: .double(1.5), json: "1.5"),
        Case(name: "float 100", value: .double(100), json: "100.0"),
        Case(name: "float 0.1", value: .double(0.1), json: "0.1"),
        Case(name: "float 123456.789", value: .double(123_456.789), json: "123456.789"),
        Case(name: "float 0.0001", value: .double(0.0001), json: "0.0001"),
        Case(name: "float 0.00001", value: .double(0.00001), json: "1.0e-05"),
        Case(name: "float 1.5e-5", value: .double(1.5e-5), json: "1.5e-05"),
        Case(name: "float 1e15", value: .double(1e15), json: "1000000000000000.0"),
        Case(name: "float 2^53", value: .double(9_007_199_254_740_992), json: "9007199254740992.0"),
        Case(name: "float 1e16", value: .double(1e16), json: "10000000000000000.0"),
        Case(name: "float 1.2345e16", value: .double(1.2345e16), json: "12345000000000000.0"),
        Case(name: "float -1e18", value: .double(-1e18), json: "-1000000000000000000.0"),
        Case(name: "float -2^63", value: .double(-0x1p63), json: "-9223372036854775808.0"),
        Case(name: "float 2^63 is past Int64", value: .double(0x1p63), json: "9.223372036854776e+18"),
        Case(name: "float 1e20", value: .double(1e20), json: "1.0e+20"),
        Case(name: "float 1.5e16 + 0.5 is whole", value: .double(1.5e16 + 2), json: "15000000000000002.0"),
        Case(name: "float 1e100", value: .double(1e100), json: "1.0e+100"),
        Case(name: "float -2.5e-300", value: .double(-2.5e-300), json: "-2.5e-300"),
        Case(name: "smallest subnormal", value: .double(.leastNonzeroMagnitude), json: "5.0e-324"),
        Case(name: "float32 widened as Ruby does", value: .float(1.1), json: "1.100000023841858"),
        Case(name: "NaN", value: .double(.nan), json: "null"),
        Case(name: "infinity", value: .double(.infinity), json: "null"),
        Case(name: "float32 -infinity", value: .float(-.infinity), json: "null"),
    ]

    static let structures: [Case] = [
        Case(name: "nil", value: .nil, json: "null"),
        Case(name: "booleans", value: [true, false], json: "[true,false]"),
        Case(name: "empty array", value: .array([]), json: "[]"),
        Case(name: "empty map", value: .map([]), json: "{}"),
        Case(
            name: "nested", value: .record(["a": [1, .record(["b": .nil])], "c": .record(["d": "e"])]),
            json: #"{"a":[1,{"b":null}],"c":{"d":"e"}}"#),
        Case(name: "keys keep record order", value: .record(["z": 1, "a": 2, "m": 3]), json: #"{"z":1,"a":2,"m":3}"#),
        Case(name: "binary as a string", value: .binary(Array("raw".utf8)), json: #""raw""#),
        Case(name: "binary key", value: .map([MessagePackPair(key: .binary(Array("k".utf8)), value: 1)]), json: #"{"k":1}"#),
        Case(name: "integer key", value: .map([MessagePackPair(key: 1, value: "one")]), json: #"{"1":"one"}"#),
        Case(name: "negative key", value: .map([MessagePackPair(key: .int(-3), value: 1)]), json: #"{"-3":1}"#),
        Case(name: "nil key is the empty string", value: .map([MessagePackPair(key: .nil, value: 1)]), json: #"{"":1}"#),
        Case(name: "boolean key", value: .map([MessagePackPair(key: true, value: 1)]), json: #"{"true":1}"#),
        Case(name: "float key", value: .map([MessagePackPair(key: .double(1.5), value: 1)]), json: #"{"1.5":1}"#),
        Case(name: "array key as its JSON text", value: .map([MessagePackPair(key: ["a", 1], value: 1)]), json: #"{"[\"a\",1]":1}"#),
        Case(name: "key needing escapes", value: .record(["a\"b\n": 1]), json: #"{"a\"b\n":1}"#),
        Case(
            name: "map key holding a map key is escaped once",
            value: .map([MessagePackPair(key: .map([MessagePackPair(key: .map([MessagePackPair(key: "k", value: 1)]), value: 2)]), value: 3)]),
            json: #"{"{{\"k\":1}:2}":3}"#),
        Case(
            name: "EventTime as integer seconds", value: .extension(type: 0, data: [0x5a, 0x1c, 0x4e, 0x61, 0x30, 0x8b, 0x51, 0xfd]),
            json: "1511804513"),
        Case(name: "other extension", value: .extension(type: 5, data: [1, 2]), json: "null"),
        Case(name: "EventTime-typed extension of wrong size", value: .extension(type: 0, data: [1, 2, 3, 4]), json: "null"),
    ]

    @Test(arguments: strings + numbers + structures)
    func writesRubyCompatibleJSON(_ c: Case) throws {
        #expect(JSONWriter.string(c.value) == c.json)
        var out: [UInt8] = [0x2a]
        try MessagePackReader.withReader(c.value.encoded) { reader in
            try JSONWriter.appendValue(from: &reader, to: &out)
            #expect(reader.isAtEnd)
        }
        #expect(out == [0x2a] + Array(c.json.utf8), "appends after what the buffer holds")
    }

    /// Keys nested in keys used to be escaped once per level, doubling the output each level.
    @Test func deeplyNestedMapKeysGrowLinearly() {
        var value: MessagePackValue = "k"
        for _ in 0..<24 { value = .map([MessagePackPair(key: value, value: 1)]) }  // within maxDepth
        let json = JSONWriter.string(MessagePackValue.map([MessagePackPair(key: value, value: 1)]))
        #expect(json.hasPrefix("{\"{{{"))  // a real rendering, not the null of a refused value
        #expect(json.utf8.count < 1_000)  // was over 16 MiB
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var json: String
        var testDescription: String { name }
    }

    /// Ill-formed UTF-8 becomes U+FFFD, one per bad byte, so the document stays valid.
    static let invalidUTF8: [Invalid] = [
        Invalid(name: "lone continuation byte", bytes: [0x61, 0x80, 0x62], json: "\"a\u{fffd}b\""),
        Invalid(name: "0xff", bytes: [0xff], json: "\"\u{fffd}\""),
        Invalid(name: "overlong NUL", bytes: [0xc0, 0x80], json: "\"\u{fffd}\u{fffd}\""),
        Invalid(name: "overlong 3-byte", bytes: [0xe0, 0x80, 0xaf], json: "\"\u{fffd}\u{fffd}\u{fffd}\""),
        Invalid(name: "surrogate", bytes: [0xed, 0xa0, 0x80], json: "\"\u{fffd}\u{fffd}\u{fffd}\""),
        Invalid(name: "beyond U+10FFFF", bytes: [0xf4, 0x90, 0x80, 0x80], json: "\"\u{fffd}\u{fffd}\u{fffd}\u{fffd}\""),
        Invalid(name: "cut-off sequence at the end", bytes: [0x61, 0xe6, 0x97], json: "\"a\u{fffd}\u{fffd}\""),
        Invalid(name: "valid sequences around a bad byte", bytes: Array("é".utf8) + [0xfe] + Array("日".utf8), json: "\"é\u{fffd}日\""),
        Invalid(name: "largest valid code point", bytes: [0xf4, 0x8f, 0xbf, 0xbf], json: "\"\u{10ffff}\""),
    ]

    @Test(arguments: invalidUTF8)
    func replacesIllFormedUTF8(_ c: Invalid) throws {
        var writer = MessagePackWriter()
        writer.writeString(utf8: c.bytes)
        var out: [UInt8] = []
        try MessagePackReader.withReader(writer.bytes) { reader in
            try JSONWriter.appendValue(from: &reader, to: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == c.json)
        #expect(String(validating: out, as: UTF8.self) != nil)
    }

    @Test func recordsFromAnEventStream() throws {
        var builder = EventStreamBuilder(tag: "t")
        builder.append(time: EventTime(seconds: 1), record: .record(["message": "hi", "time": .extension(type: 0, data: [0, 0, 0, 9, 0, 0, 0, 0])]))
        builder.append(time: EventTime(seconds: 2), record: .record(["n": .int(-1)]))
        var lines: [String] = []
        try builder.build().forEachEntry { _, reader in
            var out: [UInt8] = []
            try JSONWriter.appendValue(from: &reader, to: &out)
            lines.append(String(decoding: out, as: UTF8.self))
        }
        #expect(lines == [#"{"message":"hi","time":9}"#, #"{"n":-1}"#])
    }

    @Test func appendStringFromSwiftString() {
        var out: [UInt8] = []
        JSONWriter.appendString("tab\there", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""tab\there""#)
    }

    @Test func appendIntegerWritesEveryDigit() {
        for value: Int64 in [0, 9, 10, 99, 100, -1, -10, 1_234_567_890_123, Int64.max, Int64.min] {
            var out: [UInt8] = []
            JSONWriter.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }

    @Test func tooDeepAValueIsNullNotHalfADocument() {
        var value: MessagePackValue = .nil
        for _ in 0..<100 { value = .array([value]) }
        #expect(JSONWriter.string(value) == "null")
    }
}
