import Crypto

/// The Kinesis Producer Library's aggregated record format, hand-encoded:
/// magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, and the MD5 of that protobuf.
///
/// ```
/// message AggregatedRecord { repeated string partition_key_table = 1;
///                            repeated string explicit_hash_key_table = 2;
///                            repeated Record records = 3; }
/// message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
///                  required bytes data = 3; repeated Tag tags = 4; }
/// ```
/// Every record of one aggregate shares its single partition key (index 0), as
/// fluent-plugin-kinesis' `kinesis_streams_aggregated` does.
public enum KPLAggregator {
    public static let magic: [UInt8] = [0xF3, 0x89, 0x9A, 0xC2]

    static func varintSize(_ value: Int) -> Int {
        var v = UInt64(value)
        var size = 1
        while v >= 0x80 {
            v >>= 7
            size += 1
        }
        return size
    }

    static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        var v = UInt64(value)
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Bytes one record of `dataCount` bytes adds to an aggregate.
    public static func recordSize(dataCount: Int) -> Int {
        let inner = 2 + 1 + varintSize(dataCount) + dataCount
        return 1 + varintSize(inner) + inner
    }

    /// Bytes of an aggregate with no records: magic, the key table entry, MD5.
    public static func overhead(keyCount: Int) -> Int {
        magic.count + 1 + varintSize(keyCount) + keyCount + Insecure.MD5.byteCount
    }

    /// Appends the aggregate of `records` (each a range of `source`) under `partitionKey`.
    public static func append(
        records: some Sequence<Range<Int>>, from source: UnsafeRawBufferPointer, partitionKey: some Collection<UInt8>,
        to out: inout [UInt8]
    ) {
        out.append(contentsOf: magic)
        let messageStart = out.count
        out.append(0x0A)  // field 1, length-delimited: partition_key_table
        appendVarint(partitionKey.count, to: &out)
        out.append(contentsOf: partitionKey)
        for range in records {
            let inner = 2 + 1 + varintSize(range.count) + range.count
            out.append(0x1A)  // field 3, length-delimited: records
            appendVarint(inner, to: &out)
            out.append(0x08)  // field 1, varint: partition_key_index
            out.append(0x00)
            out.append(0x1A)  // field 3, length-delimited: data
            appendVarint(range.count, to: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[range]))
        }
        let digest = out.withUnsafeBytes { Insecure.MD5.hash(data: UnsafeRawBufferPointer(rebasing: $0[messageStart...])) }
        out.append(contentsOf: digest)
    }

    /// Convenience for tests and tools: the aggregate of `records`.
    public static func aggregate(_ records: [[UInt8]], partitionKey: String) -> [UInt8] {
        var source: [UInt8] = []
        var ranges: [Range<Int>] = []
        for record in records {
            ranges.append(source.count..<(source.count + record.count))
            source.append(contentsOf: record)
        }
        var out: [UInt8] = []
        source.withUnsafeBytes { append(records: ranges, from: $0, partitionKey: Array(partitionKey.utf8), to: &out) }
        return out
    }

    public struct DecodeError: Error, Equatable {
        public var reason: String
    }

    /// Decodes an aggregate into its partition key table and (key index, data) records,
    /// checking magic and MD5.
    public static func decode(_ bytes: [UInt8]) throws -> (keys: [String], records: [(keyIndex: Int, data: [UInt8])]) {
        guard bytes.count >= magic.count + 16, Array(bytes.prefix(4)) == magic else { throw DecodeError(reason: "no magic") }
        let message = Array(bytes[4..<(bytes.count - 16)])
        guard Array(Insecure.MD5.hash(data: message)) == Array(bytes.suffix(16)) else { throw DecodeError(reason: "MD5 mismatch") }
        var keys: [String] = []
        var records: [(keyIndex: Int, data: [UInt8])] = []
        var reader = ProtobufReader(bytes: message)
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2): keys.append(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
            case (3, 2):
                var inner = ProtobufReader(bytes: try reader.lengthDelimited())
                var keyIndex = 0
                var data: [UInt8] = []
                while let (innerField, innerWire) = try inner.nextField() {
                    switch (innerField, innerWire) {
                    case (1, 0): keyIndex = try inner.varint()
                    case (3, 2): data = try inner.lengthDelimited()
                    default: try inner.skip(wire: innerWire)
                    }
                }
                records.append((keyIndex, data))
            default: try reader.skip(wire: wire)
            }
        }
        return (keys, records)
    }

    struct ProtobufReader {
        var bytes: [UInt8]
        var offset = 0

        mutating func varint() throws -> Int {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { throw DecodeError(reason: "bad varint") }
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return Int(truncatingIfNeeded: result) }
                shift += 7
            }
        }

        mutating func nextField() throws -> (Int, Int)? {
            guard offset < bytes.count else { return nil }
            let tag = try varint()
            return (tag >> 3, tag & 7)
        }

        mutating func lengthDelimited() throws -> [UInt8] {
            let length = try varint()
            guard length >= 0, length <= bytes.count - offset else { throw DecodeError(reason: "truncated") }
            defer { offset += length }
            return Array(bytes[offset..<(offset + length)])
        }

        mutating func skip(wire: Int) throws {
            switch wire {
            case 0: _ = try varint()
            case 1: offset += 8
            case 2: _ = try lengthDelimited()
            case 5: offset += 4
            default: throw DecodeError(reason: "wire type \(wire)")
            }
        }
    }
}
