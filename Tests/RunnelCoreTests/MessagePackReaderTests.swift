import Testing
@testable import RunnelCore

/// The typed reads of `MessagePackReader` and what they do with the wrong type.
struct MessagePackReaderTests {
    @Test func peekTypeClassifiesEveryFirstByte() throws {
        for byte in 0...255 {
            let b = UInt8(byte)
            let expected: MessagePackType?
            switch b {
            case 0x00...0x7f, 0xcc...0xcf: expected = .uint
            case 0xe0...0xff, 0xd0...0xd3: expected = .int
            case 0x80...0x8f, 0xde, 0xdf: expected = .map
            case 0x90...0x9f, 0xdc, 0xdd: expected = .array
            case 0xa0...0xbf, 0xd9...0xdb: expected = .string
            case 0xc0: expected = .nil
            case 0xc2, 0xc3: expected = .bool
            case 0xc4...0xc6: expected = .binary
            case 0xc7...0xc9, 0xd4...0xd8: expected = .extension
            case 0xca: expected = .float
            case 0xcb: expected = .double
            default: expected = nil
            }
            MessagePackReader.withReader([b]) { reader in
                if let expected {
                    #expect((try? reader.peekType()) == expected, "0x\(String(b, radix: 16))")
                    #expect(reader.offset == 0)
                } else {
                    #expect(throws: MessagePackError.invalidByte(b, offset: 0)) { try reader.peekType() }
                }
            }
        }
        _ = MessagePackReader.withReader([]) { reader in
            #expect(throws: MessagePackError.truncated(offset: 0)) { try reader.peekType() }
        }
    }

    @Test func wrongTypesAreUnexpectedTypeErrorsThatLeaveTheReaderInPlace() throws {
        let string = MessagePackValue.string("x").encoded
        try MessagePackReader.withReader(string) { reader throws in
            #expect(throws: MessagePackError.unexpectedType(expected: "integer", found: .string, offset: 0)) {
                try reader.readInt()
            }
            #expect(throws: MessagePackError.self) { try reader.readBool() }
            #expect(throws: MessagePackError.self) { try reader.readNil() }
            #expect(throws: MessagePackError.self) { try reader.readArrayHeader() }
            #expect(throws: MessagePackError.self) { try reader.readMapHeader() }
            #expect(throws: MessagePackError.self) { try reader.readExtensionRange() }
            #expect(throws: MessagePackError.self) { try reader.readDouble() }
            #expect(reader.offset == 0)
            #expect(try reader.readNilIfPresent() == false)
            #expect(try reader.readString() == "x")
        }
        MessagePackReader.withReader([0x01]) { reader in
            #expect(throws: MessagePackError.self) { try reader.readString() }
            #expect(throws: MessagePackError.self) { try reader.readBinary() }
        }
    }

    @Test func readDoubleAcceptsEveryNumber() throws {
        let values: [(MessagePackValue, Double)] = [
            (.float(0.5), 0.5), (.double(-2.5), -2.5), (.uint(7), 7), (.int(-7), -7), (.uint(UInt64.max), 18_446_744_073_709_551_615.0),
            (.int(Int64.min), -9_223_372_036_854_775_808.0),
        ]
        for (value, expected) in values {
            #expect(try MessagePackReader.withReader(value.encoded) { try $0.readDouble() } == expected)
        }
    }

    @Test func rangesPointAtThePayload() throws {
        var writer = MessagePackWriter()
        writer.write("abc")
        writer.writeExtension(type: 9, data: [1, 2, 3])
        try MessagePackReader.withReader(writer.bytes) { reader in
            #expect(try reader.readStringOrBinaryRange() == 1..<4)
            let ext = try reader.readExtensionRange()
            #expect(ext.type == 9)
            #expect(Array(reader.bytes[ext.range]) == [1, 2, 3])
            #expect(reader.isAtEnd)
            #expect(reader.remaining == 0)
        }
    }

    @Test func skipValueRangeCoversOneValue() throws {
        let first = MessagePackValue.record(["a": [1, 2, .record(["b": .nil])]]).encoded
        let bytes = first + [0xc3]
        try MessagePackReader.withReader(bytes) { reader throws in
            #expect(try reader.skipValueRange() == 0..<first.count)
            #expect(try reader.readBool() == true)
        }
    }

    @Test func valueSubscriptFindsStringAndBinaryKeys() {
        let record = MessagePackValue.map([
            MessagePackPair(key: .binary(Array("bin".utf8)), value: 1),
            MessagePackPair(key: "str", value: 2),
            MessagePackPair(key: "str", value: 3),
            MessagePackPair(key: 5, value: 4),
        ])
        #expect(record["bin"] == 1)
        #expect(record["str"] == 2, "the first of duplicate keys")
        #expect(record["5"] == nil)
        #expect(MessagePackValue.array([])["x"] == nil)
    }

    @Test func valueEqualityComparesIntAndUIntByValue() {
        #expect(MessagePackValue.int(5) == .uint(5))
        #expect(MessagePackValue.uint(5) == .int(5))
        #expect(MessagePackValue.int(-1) != .uint(UInt64.max))
        #expect(MessagePackValue.float(1) != .double(1))
        #expect(MessagePackValue.double(.nan) == .double(.nan))
    }
}
