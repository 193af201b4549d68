import Crypto

/// Reads records the Kinesis Producer Library aggregated (and Runnel's `kinesis_streams_aggregated`
/// writes, see `KPLAggregator`): magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, then the MD5
/// of that protobuf. A record without the magic is a plain record; one with the magic whose MD5
/// does not match, or whose protobuf does not parse, is kept whole as the KCL does (it may be a
/// plain record that starts with those bytes).
public enum KPLDeaggregator {
    /// One user record of an aggregate (or the whole record when it is not one).
    public struct UserRecord: Sendable, Equatable {
        public var partitionKey: String
        public var explicitHashKey: String?
        public var data: [UInt8]
        /// The record's index in its aggregate (the KCL's sub-sequence number); nil when not aggregated.
        public var subSequenceNumber: Int?
    }

    /// The user records in `data`, a Kinesis record written with `partitionKey`.
    public static func records(in data: [UInt8], partitionKey: String) -> [UserRecord] {
        let plain = [UserRecord(partitionKey: partitionKey, explicitHashKey: nil, data: data, subSequenceNumber: nil)]
        let digestCount = Insecure.MD5.byteCount
        guard data.count >= KPLAggregator.magic.count + digestCount, data.starts(with: KPLAggregator.magic) else { return plain }
        let message = data[KPLAggregator.magic.count..<(data.count - digestCount)]
        guard Insecure.MD5.hash(data: message).elementsEqual(data.suffix(digestCount)) else { return plain }
        return (try? decode(Array(message))) ?? plain
    }

    struct Malformed: Error {}

    /// Decodes an `AggregatedRecord` protobuf.
    static func decode(_ bytes: [UInt8]) throws -> [UserRecord] {
        var reader = ProtobufReader(bytes: bytes[...])
        var keys: [String] = []
        var hashKeys: [String] = []
        var raw: [(key: Int, hashKey: Int?, data: [UInt8])] = []
        while !reader.isAtEnd {
            let (field, wireType) = try reader.tag()
            switch (field, wireType) {
            case (1, 2): keys.append(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
            case (2, 2): hashKeys.append(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
            case (3, 2):
                var inner = ProtobufReader(bytes: try reader.lengthDelimited())
                var key: Int?
                var hashKey: Int?
                var data: [UInt8]?
                while !inner.isAtEnd {
                    let (innerField, innerType) = try inner.tag()
                    switch (innerField, innerType) {
                    case (1, 0): key = Int(try inner.varint())
                    case (2, 0): hashKey = Int(try inner.varint())
                    case (3, 2): data = Array(try inner.lengthDelimited())
                    default: try inner.skip(wireType: innerType)
                    }
                }
                guard let key, let data else { throw Malformed() }
                raw.append((key, hashKey, data))
            default: try reader.skip(wireType: wireType)
            }
        }
        return try raw.enumerated().map { index, record in
            guard keys.indices.contains(record.key) else { throw Malformed() }
            var hashKey: String?
            if let index = record.hashKey {
                guard hashKeys.indices.contains(index) else { throw Malformed() }
                hashKey = hashKeys[index]
            }
            return UserRecord(partitionKey: keys[record.key], explicitHashKey: hashKey, data: record.data, subSequenceNumber: index)
        }
    }
}

/// The protobuf wire format, as far as KPL aggregates use it.
struct ProtobufReader {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            guard shift < 64 else { throw KPLDeaggregator.Malformed() }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw KPLDeaggregator.Malformed()
    }

    mutating func tag() throws -> (field: Int, wireType: Int) {
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.count) else { throw KPLDeaggregator.Malformed() }
        let value = bytes.prefix(Int(length))
        bytes = bytes.dropFirst(Int(length))
        return value
    }

    mutating func skip(wireType: Int) throws {
        switch wireType {
        case 0: _ = try varint()
        case 1, 5:
            let count = wireType == 1 ? 8 : 4
            guard bytes.count >= count else { throw KPLDeaggregator.Malformed() }
            bytes = bytes.dropFirst(count)
        case 2: _ = try lengthDelimited()
        default: throw KPLDeaggregator.Malformed()
        }
    }
}
