import RunnelCore
import Testing

@testable import RunnelKinesis

@Suite struct PartitionKeyTests {
    static func key(_ path: String?, _ record: MessagePackValue) throws -> (String, PartitionKeyExtractor.Fallback?) {
        var extractor = PartitionKeyExtractor(accessor: path.flatMap(RecordAccessor.init), seed: 42)
        var out: [UInt8] = []
        let fallback = try MessagePackReader.withReader(record.encoded) { reader in
            try extractor.append(record: reader, to: &out)
        }
        return (String(decoding: out, as: UTF8.self), fallback)
    }

    @Test func fieldsNestedFieldsAndScalars() throws {
        #expect(try Self.key("user", .record(["user": "alice"])) == ("alice", nil))
        #expect(try Self.key("$.k8s.pod", .record(["k8s": .record(["pod": "web-1"])])) == ("web-1", nil))
        #expect(try Self.key("$['k8s']['pod']", .record(["k8s": .record(["pod": "web-2"])])) == ("web-2", nil))
        #expect(try Self.key("n", .record(["n": 42])) == ("42", nil))
        #expect(try Self.key("n", .record(["n": -7])) == ("-7", nil))
        #expect(try Self.key("b", .record(["b": true])) == ("true", nil))
        #expect(try Self.key("f", .record(["f": 1.5])) == ("1.5", nil))
        let long = String(repeating: "é", count: 256)  // 256 characters, 512 bytes: allowed
        #expect(try Self.key("k", .record(["k": .string(long)])) == (long, nil))
    }

    @Test(arguments: [
        (MessagePackValue.record(["other": "x"]), PartitionKeyExtractor.Fallback.missing),
        (.record(["user": ""]), .empty),
        (.record(["user": nil]), .empty),
        (.record(["user": .string(String(repeating: "a", count: 257))]), .tooLong),
        (.record(["user": .record(["a": 1])]), .notScalar),
    ])
    func unusableKeysFallBackToRandom(record: MessagePackValue, reason: PartitionKeyExtractor.Fallback) throws {
        let (key, fallback) = try Self.key("user", record)
        #expect(fallback == reason)
        #expect(key.count == 32)
        #expect(key.allSatisfy { $0.isHexDigit })
    }

    @Test func noFieldMeansRandomKeysThatDiffer() throws {
        var extractor = PartitionKeyExtractor(accessor: nil)
        var a: [UInt8] = []
        var b: [UInt8] = []
        extractor.appendRandom(to: &a)
        extractor.appendRandom(to: &b)
        #expect(a.count == 32 && b.count == 32 && a != b)
    }

    @Test func hexDigitsAreEachNibbleInLowerCase() {
        for value: UInt32 in [0, 0x0123_4567, 0x89ab_cdef, 0xffff_ffff, 0xdead_beef, 0x1000_000a] {
            let word = PartitionKeyExtractor.hexDigits(value)
            let text = withUnsafeBytes(of: word) { String(decoding: $0, as: UTF8.self) }
            // Lowest nibble first: the reversed text is the value's hex.
            let hex = String(value, radix: 16)
            #expect(String(text.reversed()) == String(repeating: "0", count: 8 - hex.count) + hex, "\(value)")
        }
        var extractor = PartitionKeyExtractor(accessor: nil)
        var keys: [UInt8] = []
        for _ in 0..<64 { extractor.appendRandom(to: &keys) }
        #expect(Set(keys) == Set("0123456789abcdef".utf8))
    }

    @Test func accessorSyntax() {
        #expect(RecordAccessor("$.a.b")?.path == ["a", "b"])
        #expect(RecordAccessor("plain.name")?.path == ["plain.name"])
        #expect(RecordAccessor("$.") == nil)
        #expect(RecordAccessor("$[a]") == nil)
    }
}
