import Testing
@testable import RunnelCore

/// Checks against msgpack-python's bytes (MessagePackPythonFixtures.swift, made by
/// scripts/gen-msgpack-fixtures.py), and encode/decode round trips at every boundary.
struct MessagePackRoundTripTests {
    @Test(arguments: pythonMessagePackFixtures)
    func decodesWhatMsgpackPythonWrote(_ fixture: MessagePackFixture) throws {
        let decoded = try MessagePackValue(decoding: fixture.bytes)
        #expect(decoded == fixture.value)
        #expect(sameBits(decoded, fixture.value))
    }

    @Test(arguments: pythonMessagePackFixtures)
    func encodesAsMsgpackPythonDoes(_ fixture: MessagePackFixture) {
        let encoded = fixture.value.encoded
        #expect(encoded.count == fixture.bytes.count)
        #expect(encoded == fixture.bytes, "ours \(hex(encoded.prefix(24))) python \(hex(fixture.bytes.prefix(24)))")
    }

    @Test(arguments: pythonMessagePackFixtures)
    func skipConsumesExactlyWhatReadDoes(_ fixture: MessagePackFixture) throws {
        let (skipped, read) = try MessagePackReader.withReader(fixture.bytes + [0xc0]) { reader -> (Int, Int) in
            var copy = reader
            try copy.skipValue()
            _ = try reader.readValue()
            return (copy.offset, reader.offset)
        }
        #expect(skipped == fixture.bytes.count)
        #expect(read == fixture.bytes.count)
    }

    static let integers: [Int64] = [
        0, 1, 31, 32, 126, 127, 128, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, Int64.max,
        -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769, -2_147_483_648, -2_147_483_649, Int64.min,
    ]

    @Test(arguments: integers)
    func integersRoundTripThroughReadInt(_ value: Int64) throws {
        var writer = MessagePackWriter()
        writer.write(value)
        let read = try MessagePackReader.withReader(writer.bytes) { reader in
            let v = try reader.readInt()
            #expect(reader.isAtEnd)
            return v
        }
        #expect(read == value)
        #expect(try MessagePackValue(decoding: writer.bytes) == (value >= 0 ? .uint(UInt64(value)) : .int(value)))
    }

    @Test func unsignedBeyondInt64IsAValueButNotAnInt() throws {
        let bytes = MessagePackValue.uint(UInt64(Int64.max) + 1).encoded
        #expect(try MessagePackValue(decoding: bytes) == .uint(UInt64(Int64.max) + 1))
        try MessagePackReader.withReader(bytes) { reader throws in
            #expect(throws: MessagePackError.integerOverflow(offset: 0)) { try reader.readInt() }
            #expect(reader.offset == 0, "a failed read leaves the reader where it was")
            #expect(try reader.readDouble() == 9_223_372_036_854_775_808.0)
        }
    }

    static let doubles: [Double] = [
        0, -0.0, 1, -1, 0.1, Double.leastNormalMagnitude / 4, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, .nan,
        Double(bitPattern: 0x7ff0_0000_0000_0001),  // signalling NaN payload
    ]

    @Test(arguments: doubles)
    func doublesKeepEveryBit(_ value: Double) throws {
        let decoded = try MessagePackValue(decoding: MessagePackValue.double(value).encoded)
        guard case .double(let d) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(d.bitPattern == value.bitPattern)
    }

    static let floats: [Float] = [0, -0.0, 1.25, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, .nan]

    @Test(arguments: floats)
    func floatsKeepEveryBit(_ value: Float) throws {
        let decoded = try MessagePackValue(decoding: MessagePackValue.float(value).encoded)
        guard case .float(let f) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(f.bitPattern == value.bitPattern)
        let asDouble = try MessagePackReader.withReader(MessagePackValue.float(value).encoded) { try $0.readDouble() }
        #expect(asDouble.bitPattern == Double(value).bitPattern)
    }

    @Test func deeplyNestedMixedStructuresRoundTrip() throws {
        var value: MessagePackValue = .record(["leaf": .binary([0, 255]), "t": .extension(type: 0, data: [0, 0, 0, 1, 0, 0, 0, 2])])
        for depth in 0..<40 {
            value =
                depth.isMultiple(of: 2)
                ? .array([value, .int(-Int64(depth)), .nil])
                : .map([MessagePackPair(key: .uint(UInt64(depth)), value: value), MessagePackPair(key: "s", value: .float(0.5))])
        }
        let bytes = value.encoded
        #expect(try MessagePackValue(decoding: bytes) == value)
        #expect(try MessagePackReader.withReader(bytes) { try $0.skipValueRange() } == 0..<bytes.count)
    }

    @Test func stringsReadAsStringsAndBinariesAsBytes() throws {
        let text = "日本語 \u{2028} ok"
        var writer = MessagePackWriter()
        writer.write(text)
        writer.writeBinary([0xff, 0x00])
        try MessagePackReader.withReader(writer.bytes) { reader throws in
            #expect(try reader.readString() == text)
            #expect(try reader.readBinary() == [0xff, 0x00])
            #expect(reader.isAtEnd)
        }
    }

    /// Reports equality down to the bits of floats, which `==` treats as equal for 0.0/-0.0.
    func sameBits(_ a: MessagePackValue, _ b: MessagePackValue) -> Bool {
        switch (a, b) {
        case let (.double(x), .double(y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy(sameBits)
        case let (.map(x), .map(y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameBits($0.key, $1.key) && sameBits($0.value, $1.value) }
        default: return a == b
        }
    }
}
