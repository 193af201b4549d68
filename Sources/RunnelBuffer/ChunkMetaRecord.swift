import CZlib
import RunnelCore

/// What a chunk's `.meta` file holds: its keys, its entry count and its delivery progress.
///
/// Layout (docs/buffer-format.md): `C1 00` (Fluentd's buffer meta header), a big-endian uint32
/// body length, the body (a MessagePack map with Fluentd's keys `id`, `s`, `c`, `m`, `timekey`,
/// `tag`, `variables`, `seq` plus Runnel's `delivered` and `utc_offset`), then a big-endian CRC-32
/// of the body, so a torn or damaged file is detected instead of half-read.
public struct ChunkMetaRecord: Sendable, Equatable {
    public var id: String
    public var metadata: ChunkMetadata
    /// Entries in the data file when this was written (the data file is authoritative).
    public var count: Int
    public var createdAt: Int
    public var modifiedAt: Int
    public var delivered: EntrySet

    public init(id: String, metadata: ChunkMetadata, count: Int, createdAt: Int, modifiedAt: Int, delivered: EntrySet = EntrySet()) {
        self.id = id
        self.metadata = metadata
        self.count = count
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.delivered = delivered
    }

    static let magic: [UInt8] = [0xC1, 0x00]

    public func encoded() -> [UInt8] {
        var body = MessagePackWriter(capacity: 256)
        var fields = 7
        if metadata.timekey != nil { fields += 1 }
        if metadata.tag != nil { fields += 1 }
        if metadata.utcOffset != nil { fields += 1 }
        body.writeMapHeader(count: fields)
        body.write("id"); body.write(id)
        body.write("s"); body.write(count)
        body.write("c"); body.write(createdAt)
        body.write("m"); body.write(modifiedAt)
        body.write("seq"); body.write(0)
        if let timekey = metadata.timekey { body.write("timekey"); body.write(timekey) }
        if let tag = metadata.tag { body.write("tag"); body.write(tag) }
        if let offset = metadata.utcOffset { body.write("utc_offset"); body.write(offset) }
        body.write("variables")
        body.writeMapHeader(count: metadata.variables.count)
        for (key, value) in metadata.variables.sorted(by: { $0.key < $1.key }) {
            body.write(key); body.write(value)
        }
        body.write("delivered")
        body.writeArrayHeader(count: delivered.words.count)
        for word in delivered.words { body.write(word) }
        var out = Self.magic
        let bytes = body.bytes
        Self.appendBigEndian(UInt32(bytes.count), to: &out)
        out += bytes
        Self.appendBigEndian(Self.crc32(bytes), to: &out)
        return out
    }

    /// Decodes a `.meta` file; throws `BufferError.corruptMetadata` for anything short, damaged or foreign.
    public init(decoding bytes: [UInt8], path: String) throws {
        func corrupt(_ reason: String) -> BufferError { .corruptMetadata(path: path, reason: reason) }
        guard bytes.count >= 10, Array(bytes[0..<2]) == Self.magic else { throw corrupt("no C1 00 header") }
        let length = Int(Self.readBigEndian(bytes, at: 2))
        guard bytes.count == 6 + length + 4 else { throw corrupt("length \(length) does not match file size \(bytes.count)") }
        let body = Array(bytes[6..<(6 + length)])
        guard Self.crc32(body) == Self.readBigEndian(bytes, at: 6 + length) else { throw corrupt("checksum mismatch") }
        var id: String?
        var metadata = ChunkMetadata()
        var count = 0
        var created = 0
        var modified = 0
        var words: [UInt64] = []
        do {
            try MessagePackReader.withReader(body) { reader in
                let fields = try reader.readMapHeader()
                for _ in 0..<fields {
                    let key = try reader.readString()
                    switch key {
                    case "id": id = try reader.readString()
                    case "s": count = Int(try reader.readInt())
                    case "c": created = Int(try reader.readInt())
                    case "m": modified = Int(try reader.readInt())
                    case "timekey": metadata.timekey = Int(try reader.readInt())
                    case "tag": metadata.tag = try reader.readString()
                    case "utc_offset": metadata.utcOffset = Int(try reader.readInt())
                    case "variables":
                        let pairs = try reader.readMapHeader()
                        for _ in 0..<pairs { metadata.variables[try reader.readString()] = try reader.readString() }
                    case "delivered":
                        let n = try reader.readArrayHeader()
                        for _ in 0..<n {
                            let value = try reader.readValue()
                            guard case .uint(let word) = value else {
                                if case .int(let small) = value { words.append(UInt64(bitPattern: small)); continue }
                                throw corrupt("delivered word is not an integer")
                            }
                            words.append(word)
                        }
                    default: try reader.skipValue()
                    }
                }
            }
        } catch let error as BufferError {
            throw error
        } catch {
            throw corrupt("\(error)")
        }
        guard let id else { throw corrupt("no chunk id") }
        var delivered = EntrySet()
        for (w, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { delivered.insert(w * 64 + bit) }
        }
        self.init(id: id, metadata: metadata, count: count, createdAt: created, modifiedAt: modified, delivered: delivered)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }

    static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 24))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    static func readBigEndian(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }
}
