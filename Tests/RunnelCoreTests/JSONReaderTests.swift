import Testing
@testable import RunnelCore

struct JSONReaderTests {
    @Test func decodeKeepsKeyOrderAndCollapsesRepeatedKeysAsRuby() throws {
        let value = try JSONReader.decode(#" {"b": 1, "a": [true, null, -2.5, "x\u00e9\n"], "b": {"z": 18446744073709551615}} "#)
        // Ruby's Hash: the last value of "b", at the position of the first.
        #expect(
            value
                == .map([
                    MessagePackPair(key: "b", value: .record(["z": .uint(18_446_744_073_709_551_615)])),
                    MessagePackPair(key: "a", value: [true, .nil, .double(-2.5), "x\u{e9}\n"]),
                ]))
    }

    @Test(arguments: [
        (#"{"a" 1}"#, 5, "expected ':' after an object key, found '1'"),
        (#"{"a":1,}"#, 7, "expected a string key in an object"),
        (#"[1 2]"#, 3, "expected ']' or ',' in an array, found '2'"),
        (#""abc"#, 4, "unterminated string"),
        ("{\"a\":\"\u{1}\"}", 6, "control character in a string"),
        (#"{"a":1} x"#, 8, "unexpected text after the JSON value"),
        (#"tru"#, 0, "expected 'true'"),
        (#"@"#, 0, "expected a value, found '@'"),
        (#""#, 0, "expected a value, found the end of the text"),
        (#"[1.2.3]"#, 1, "'1.2.3' is not a number"),
        (#""\u12g4""#, 5, #"expected 4 hex digits after \u"#),
    ])
    func rejectsBadTextWithOffsetAndReason(text: String, offset: Int, reason: String) {
        #expect(throws: JSONReaderError(offset: offset, reason: reason)) { try JSONReader.decode(text) }
    }

    @Test func nestingIsLimited() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(throws: JSONReaderError.self) { try JSONReader.decode(deep) }
        #expect(throws: JSONReaderError.self) { try JSONReader.withReader(Array(deep.utf8)) { try $0.skipValue() } }
    }

    @Test func pullReadingVisitsMembersInOrderAndSkipsWhatIsLeft() throws {
        let text = #"{"FailedRecordCount": 2, "Records": [{"ShardId": "s"}, {"ErrorCode": "E\"x"}, {}], "extra": {"a": [1, {"b": null}]}}"#
        var keys: [String] = []
        var failed: Int?
        var records: Int?
        try JSONReader.withReader(Array(text.utf8)) { reader in
            try reader.readObject { key, value in
                keys.append(String(decoding: key, as: UTF8.self))
                if key.elementsEqual("FailedRecordCount".utf8) { failed = try value.readInteger() }
                if key.elementsEqual("Records".utf8) { records = try value.readArray { _ in } }
            }
            try reader.expectEnd()
        }
        #expect(keys == ["FailedRecordCount", "Records", "extra"])
        #expect(failed == 2 && records == 3)
    }

    @Test func scalarsReadInPlace() throws {
        try JSONReader.withReader(Array(#"[" a\/b ", 42, 1e3, false, null]"#.utf8)) { reader in
            var values: [String] = []
            try reader.readArray { element in
                switch try element.peekKind() {
                case .string: values.append(try element.readString())
                case .number: values.append("\(try element.readNumber())")
                case .bool: values.append("\(try element.readBool())")
                case .null: values.append("\(try element.readNullIfPresent())")
                default: break
                }
            }
            #expect(values == [" a/b ", "\(MessagePackValue.int(42))", "\(MessagePackValue.double(1000))", "false", "true"])
        }
        #expect(throws: JSONReaderError(offset: 0, reason: "expected an integer")) {
            try JSONReader.withReader(Array("1.5".utf8)) { _ = try $0.readInteger() }
        }
    }

    @Test func messagePackConversionNotesRepeatedKeys() throws {
        try JSONReader.withReader(Array(#"{"a": {"x": 1, "x": 2}, "b": 3}"#.utf8)) { reader in
            var out: [UInt8] = []
            var seen: [String] = []
            let count = try reader.appendObjectPairs(into: &out) { key, _, _ in
                seen.append(String(decoding: key, as: UTF8.self))
                return key != Array("b".utf8)
            }
            #expect(count == 1 && seen == ["a", "b"] && reader.sawDuplicateKey)
            var writer = MessagePackWriter()
            writer.writeMapHeader(count: count)
            writer.writeRaw(out)
            #expect(try MessagePackValue(decoding: writer.bytes).collapsingDuplicateKeys() == .record(["a": .record(["x": 2])]))
        }
    }

    @Test func prettyWriterLaysOutAsRuby() {
        var out: [UInt8] = []
        JSONWriter.appendPretty(.record(["journal": "s=1", "n": .record([:]), "l": [1, .record(["a": .nil])]]), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "{\n  \"journal\": \"s=1\",\n  \"n\": {},\n  \"l\": [\n    1,\n    {\n      \"a\": null\n    }\n  ]\n}")
    }
}
