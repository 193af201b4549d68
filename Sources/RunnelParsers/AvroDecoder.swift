import RunnelCompression
import RunnelCore

/// Avro's binary encoding (specification, "Binary Encoding") read into values: zig-zag varints,
/// little-endian floats, length-prefixed bytes and strings, blocked arrays and maps (a negative
/// count is followed by the block's size), unions by branch index. Records become maps in field
/// order, enums their symbol, `bytes` and `fixed` binary.
public struct AvroDecoder {
    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String
    }

    let schema: AvroSchema
    var bytes: ArraySlice<UInt8>
    /// Values nested this deep are refused (a recursive schema and hostile data).
    static let maximumDepth = 64

    public init(schema: AvroSchema, bytes: ArraySlice<UInt8>) {
        self.schema = schema
        self.bytes = bytes
    }

    public var isAtEnd: Bool { bytes.isEmpty }

    /// One datum of the schema's root type.
    public mutating func decode() throws -> MessagePackValue {
        try value(schema.root, depth: 0)
    }

    mutating func value(_ node: AvroSchema.Node, depth: Int) throws -> MessagePackValue {
        guard depth < Self.maximumDepth else { throw DecodingError(description: "Avro data nested deeper than \(Self.maximumDepth)") }
        switch node {
        case .null: return .nil
        case .boolean:
            guard let byte = bytes.popFirst(), byte <= 1 else { throw DecodingError(description: "an Avro boolean is not 0 or 1") }
            return .bool(byte == 1)
        case .int, .long: return .int(try long())
        case .float: return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try littleEndian(4))))
        case .double: return .double(Double(bitPattern: try littleEndian(8)))
        case .bytes: return .binary(Array(try lengthPrefixed()))
        case .string: return .string(String(decoding: try lengthPrefixed(), as: UTF8.self))
        case .record(_, let fields):
            var pairs: [MessagePackPair] = []
            pairs.reserveCapacity(fields.count)
            for field in fields { pairs.append(MessagePackPair(key: .string(field.name), value: try value(field.type, depth: depth + 1))) }
            return .map(pairs)
        case .enumeration(let name, let symbols):
            let index = try long()
            guard index >= 0, index < symbols.count else { throw DecodingError(description: "enum \(name): index \(index) out of range") }
            return .string(symbols[Int(index)])
        case .array(let items):
            var elements: [MessagePackValue] = []
            try blocks { elements.append(try $0.value(items, depth: depth + 1)) }
            return .array(elements)
        case .map(let values):
            var pairs: [MessagePackPair] = []
            try blocks { decoder in
                let key = String(decoding: try decoder.lengthPrefixed(), as: UTF8.self)
                pairs.append(MessagePackPair(key: .string(key), value: try decoder.value(values, depth: depth + 1)))
            }
            return .map(pairs)
        case .union(let branches):
            let index = try long()
            guard index >= 0, index < branches.count else { throw DecodingError(description: "union branch \(index) out of range") }
            return try value(branches[Int(index)], depth: depth + 1)
        case .fixed(_, let size):
            guard bytes.count >= size else { throw DecodingError(description: "Avro data ends inside a fixed") }
            defer { bytes = bytes.dropFirst(size) }
            return .binary(Array(bytes.prefix(size)))
        case .reference(let name):
            guard let declared = schema.named[name] else { throw DecodingError(description: "unknown Avro type \(name)") }
            return try value(declared, depth: depth + 1)
        }
    }

    /// A zig-zag varint of up to 64 bits.
    public mutating func long() throws -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            guard shift < 64 else { break }
            raw |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
            shift += 7
        }
        throw DecodingError(description: "Avro data ends inside a number")
    }

    mutating func littleEndian(_ count: Int) throws -> UInt64 {
        guard bytes.count >= count else { throw DecodingError(description: "Avro data ends inside a number") }
        var value: UInt64 = 0
        for (index, byte) in bytes.prefix(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        bytes = bytes.dropFirst(count)
        return value
    }

    public mutating func lengthPrefixed() throws -> ArraySlice<UInt8> {
        let length = try long()
        guard length >= 0, length <= bytes.count else { throw DecodingError(description: "an Avro length (\(length)) runs past the data") }
        defer { bytes = bytes.dropFirst(Int(length)) }
        return bytes.prefix(Int(length))
    }

    /// The items of a blocked array or map, each read by `item`.
    mutating func blocks(_ item: (inout AvroDecoder) throws -> Void) throws {
        while true {
            var count = try long()
            if count == 0 { return }
            if count < 0 {
                count = -count
                _ = try long()  // the block's size in bytes, for skipping
            }
            guard count <= bytes.count else { throw DecodingError(description: "an Avro block count (\(count)) runs past the data") }
            for _ in 0..<count { try item(&self) }
        }
    }
}

/// An Avro object container file (specification, "Object Container Files"): `Obj` 1, the
/// metadata map (`avro.schema`, `avro.codec`), a 16-byte sync marker, then blocks of records,
/// each `null` or `deflate` (raw RFC 1951) coded and followed by the sync marker.
public enum AvroContainer {
    public static let magic: [UInt8] = [0x4F, 0x62, 0x6A, 0x01]

    /// Every record of the file, with the schema it declares.
    public static func records(_ data: [UInt8], limit: Int = 64 << 20) throws -> [MessagePackValue] {
        guard data.starts(with: magic) else { throw AvroDecoder.DecodingError(description: "not an Avro object container file") }
        var header = AvroDecoder(schema: AvroSchema(root: .map(.bytes), named: [:]), bytes: data.dropFirst(magic.count))
        guard case .map(let metadata) = try header.decode() else { throw AvroDecoder.DecodingError(description: "no Avro file metadata") }
        func meta(_ key: String) -> String? {
            metadata.first { $0.key.stringValue == key }.flatMap { pair in
                if case .binary(let bytes) = pair.value { return String(decoding: bytes, as: UTF8.self) }
                return pair.value.stringValue
            }
        }
        guard let schemaText = meta("avro.schema") else { throw AvroDecoder.DecodingError(description: "the Avro file declares no avro.schema") }
        let schema = try AvroSchema(json: schemaText)
        let codec = meta("avro.codec") ?? "null"
        guard codec == "null" || codec == "deflate" else {
            throw AvroDecoder.DecodingError(description: "Avro codec \(codec) is not supported (null and deflate are)")
        }
        guard header.bytes.count >= 16 else { throw AvroDecoder.DecodingError(description: "the Avro file ends before its sync marker") }
        let sync = Array(header.bytes.prefix(16))
        var rest = AvroDecoder(schema: schema, bytes: header.bytes.dropFirst(16))
        var records: [MessagePackValue] = []
        while !rest.isAtEnd {
            let count = try rest.long()
            let block = try rest.lengthPrefixed()
            guard rest.bytes.count >= 16, rest.bytes.prefix(16).elementsEqual(sync) else {
                throw AvroDecoder.DecodingError(description: "an Avro block is not followed by the file's sync marker")
            }
            rest.bytes = rest.bytes.dropFirst(16)
            let plain = codec == "deflate" ? try block.withUnsafeBytes { try Zlib.decompress($0, as: .raw, limit: limit) } : Array(block)
            var decoder = AvroDecoder(schema: schema, bytes: plain[...])
            for _ in 0..<max(0, count) { records.append(try decoder.decode()) }
        }
        return records
    }
}
