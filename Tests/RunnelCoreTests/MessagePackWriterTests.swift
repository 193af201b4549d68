import Testing
@testable import RunnelCore

/// Exact bytes for each format family, from the MessagePack specification (msgpack/spec.md).
struct MessagePackWriterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var value: MessagePackValue
        var hex: String
        var testDescription: String { hex }
    }

    static let spec: [Case] = [
        // positive fixint / uint 8 / 16 / 32 / 64
        Case(value: .uint(0), hex: "00"),
        Case(value: .uint(127), hex: "7f"),
        Case(value: .uint(128), hex: "cc80"),
        Case(value: .uint(255), hex: "ccff"),
        Case(value: .uint(256), hex: "cd0100"),
        Case(value: .uint(65535), hex: "cdffff"),
        Case(value: .uint(65536), hex: "ce00010000"),
        Case(value: .uint(4_294_967_295), hex: "ceffffffff"),
        Case(value: .uint(4_294_967_296), hex: "cf0000000100000000"),
        Case(value: .uint(UInt64(Int64.max)), hex: "cf7fffffffffffffff"),
        Case(value: .uint(UInt64.max), hex: "cfffffffffffffffff"),
        // non-negative .int values use the unsigned forms, as every encoder does
        Case(value: .int(0), hex: "00"),
        Case(value: .int(200), hex: "ccc8"),
        Case(value: .int(Int64.max), hex: "cf7fffffffffffffff"),
        // negative fixint / int 8 / 16 / 32 / 64
        Case(value: .int(-1), hex: "ff"),
        Case(value: .int(-32), hex: "e0"),
        Case(value: .int(-33), hex: "d0df"),
        Case(value: .int(-128), hex: "d080"),
        Case(value: .int(-129), hex: "d1ff7f"),
        Case(value: .int(-32768), hex: "d18000"),
        Case(value: .int(-32769), hex: "d2ffff7fff"),
        Case(value: .int(-2_147_483_648), hex: "d280000000"),
        Case(value: .int(-2_147_483_649), hex: "d3ffffffff7fffffff"),
        Case(value: .int(Int64.min), hex: "d38000000000000000"),
        // nil, bool
        Case(value: .nil, hex: "c0"),
        Case(value: .bool(false), hex: "c2"),
        Case(value: .bool(true), hex: "c3"),
        // float 32 / 64
        Case(value: .float(1.5), hex: "ca3fc00000"),
        Case(value: .float(-0.0), hex: "ca80000000"),
        Case(value: .float(.infinity), hex: "ca7f800000"),
        Case(value: .double(1.5), hex: "cb3ff8000000000000"),
        Case(value: .double(-0.0), hex: "cb8000000000000000"),
        Case(value: .double(-.infinity), hex: "cbfff0000000000000"),
        Case(value: .double(.nan), hex: "cb7ff8000000000000"),
        // fixstr / str 8
        Case(value: .string(""), hex: "a0"),
        Case(value: .string("a"), hex: "a161"),
        Case(value: .string(String(repeating: "x", count: 31)), hex: "bf" + String(repeating: "78", count: 31)),
        Case(value: .string(String(repeating: "x", count: 32)), hex: "d920" + String(repeating: "78", count: 32)),
        Case(value: .string("é"), hex: "a2c3a9"),
        // bin 8
        Case(value: .binary([]), hex: "c400"),
        Case(value: .binary([1, 2]), hex: "c4020102"),
        // fixext 1 / 2 / 4 / 8 / 16, ext 8
        Case(value: .extension(type: 1, data: [0xaa]), hex: "d401aa"),
        Case(value: .extension(type: 2, data: [0xaa, 0xbb]), hex: "d502aabb"),
        Case(value: .extension(type: 3, data: [1, 2, 3, 4]), hex: "d60301020304"),
        Case(value: .extension(type: -1, data: [1, 2, 3, 4, 5, 6, 7, 8]), hex: "d7ff0102030405060708"),
        Case(value: .extension(type: 127, data: Array(repeating: 9, count: 16)), hex: "d87f" + String(repeating: "09", count: 16)),
        Case(value: .extension(type: -128, data: []), hex: "c70080"),
        Case(value: .extension(type: 4, data: [1, 2, 3]), hex: "c70304010203"),
        Case(value: .extension(type: 4, data: Array(repeating: 0, count: 17)), hex: "c71104" + String(repeating: "00", count: 17)),
        // fixarray / fixmap
        Case(value: .array([]), hex: "90"),
        Case(value: [1, 2, 3], hex: "93010203"),
        Case(value: .map([]), hex: "80"),
        Case(value: .record(["a": 1, "b": [true, .nil]]), hex: "82a16101a16292c3c0"),
        Case(value: .map([MessagePackPair(key: 1, value: "x")]), hex: "8101a178"),
    ]

    @Test(arguments: spec)
    func writesTheSpecifiedBytes(_ c: Case) {
        #expect(hex(c.value.encoded) == c.hex)
    }

    @Test(arguments: spec)
    func readsTheSpecifiedBytesBack(_ c: Case) throws {
        let decoded = try MessagePackValue(decoding: hexBytes(c.hex))
        #expect(decoded == c.value)
        #expect(hex(decoded.encoded) == c.hex)
    }

    /// Headers of the 16- and 32-bit length forms, whose payloads are too long for the table.
    struct LengthCase: Sendable, CustomTestStringConvertible {
        var name: String
        var value: MessagePackValue
        var header: String
        var payloadCount: Int
        var testDescription: String { name }
    }

    static let lengthCases: [LengthCase] = [
        LengthCase(name: "str8 255", value: .string(String(repeating: "a", count: 255)), header: "d9ff", payloadCount: 255),
        LengthCase(name: "str16 256", value: .string(String(repeating: "a", count: 256)), header: "da0100", payloadCount: 256),
        LengthCase(name: "str16 65535", value: .string(String(repeating: "a", count: 65535)), header: "daffff", payloadCount: 65535),
        LengthCase(name: "str32 65536", value: .string(String(repeating: "a", count: 65536)), header: "db00010000", payloadCount: 65536),
        LengthCase(name: "bin8 255", value: .binary(Array(repeating: 1, count: 255)), header: "c4ff", payloadCount: 255),
        LengthCase(name: "bin16 256", value: .binary(Array(repeating: 1, count: 256)), header: "c50100", payloadCount: 256),
        LengthCase(name: "bin16 65535", value: .binary(Array(repeating: 1, count: 65535)), header: "c5ffff", payloadCount: 65535),
        LengthCase(name: "bin32 65536", value: .binary(Array(repeating: 1, count: 65536)), header: "c600010000", payloadCount: 65536),
        LengthCase(name: "ext8 255", value: .extension(type: 7, data: Array(repeating: 1, count: 255)), header: "c7ff07", payloadCount: 255),
        LengthCase(name: "ext16 256", value: .extension(type: 7, data: Array(repeating: 1, count: 256)), header: "c8010007", payloadCount: 256),
        LengthCase(name: "ext16 65535", value: .extension(type: 7, data: Array(repeating: 1, count: 65535)), header: "c8ffff07", payloadCount: 65535),
        LengthCase(name: "ext32 65536", value: .extension(type: 7, data: Array(repeating: 1, count: 65536)), header: "c90001000007", payloadCount: 65536),
        LengthCase(name: "array16 16", value: .array(Array(repeating: .nil, count: 16)), header: "dc0010", payloadCount: 16),
        LengthCase(name: "array16 65535", value: .array(Array(repeating: .nil, count: 65535)), header: "dcffff", payloadCount: 65535),
        LengthCase(name: "array32 65536", value: .array(Array(repeating: .nil, count: 65536)), header: "dd00010000", payloadCount: 65536),
        LengthCase(
            name: "map16 16", value: .map(Array(repeating: MessagePackPair(key: .nil, value: .nil), count: 16)),
            header: "de0010", payloadCount: 32),
        LengthCase(
            name: "map16 65535", value: .map(Array(repeating: MessagePackPair(key: .nil, value: .nil), count: 65535)),
            header: "deffff", payloadCount: 131_070),
        LengthCase(
            name: "map32 65536", value: .map(Array(repeating: MessagePackPair(key: .nil, value: .nil), count: 65536)),
            header: "df00010000", payloadCount: 131_072),
    ]

    @Test(arguments: lengthCases)
    func choosesTheSmallestLengthForm(_ c: LengthCase) throws {
        let bytes = c.value.encoded
        let headerBytes = hexBytes(c.header)
        #expect(Array(bytes.prefix(headerBytes.count)) == headerBytes)
        #expect(bytes.count == headerBytes.count + c.payloadCount)
        #expect(try MessagePackValue(decoding: bytes) == c.value)
    }

    @Test func eventTimeIsFixext8OfTypeZero() {
        var writer = MessagePackWriter()
        writer.write(EventTime(seconds: 0x5a1c_4e61, nanoseconds: 0x308b_51fd))
        #expect(hex(writer.bytes) == "d7005a1c4e61308b51fd")
    }

    @Test func headersWrittenSeparatelyMatchWholeValues() {
        var writer = MessagePackWriter()
        writer.writeMapHeader(count: 1)
        writer.write("k")
        writer.writeArrayHeader(count: 2)
        writer.write(Int64(-5))
        writer.writeString(utf8: Array("v".utf8))
        #expect(writer.bytes == MessagePackValue.record(["k": [.int(-5), "v"]]).encoded)
    }

    @Test func appendingToExistingBytesKeepsThem() {
        var writer = MessagePackWriter(appendingTo: [0x01])
        writer.write(true)
        writer.writeRaw([0xc0])
        #expect(writer.bytes == [0x01, 0xc3, 0xc0])
    }

    @Test func intOverloadMatchesInt64() {
        for value in [0, 1, -1, 127, 128, -32, -33, 65536, -65536, Int.max, Int.min] {
            var a = MessagePackWriter()
            a.write(value)
            var b = MessagePackWriter()
            b.write(Int64(value))
            #expect(a.bytes == b.bytes, "\(value)")
        }
    }
}
