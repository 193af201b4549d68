import RunnelCore

/// A pre-encoded PackedForward message whose per-record sequence numbers and chunk id are
/// patched in place, so sending costs no encoding.
///
/// Each record is `{"seq": "<12 digits>", "level": "info", "service": "loadgen", "message": "xxxx..."}`,
/// padded so that its MessagePack form is about `recordSize` bytes.
struct MessageTemplate {
    static let chunkIDLength = 16
    static let sequenceDigits = 12

    var bytes: [UInt8]
    /// Offsets of the first digit of each record's `seq` value.
    var sequenceOffsets: [Int]
    /// Offset of the chunk id's first character, when acks are requested.
    var chunkOffset: Int?
    /// Where the entries (the bin payload) start and how long they are.
    var entriesRange: Range<Int>
    let count: Int

    init(tag: String, count: Int, recordSize: Int, ack: Bool, time: EventTime) {
        self.count = count
        // Entries first, to know where each seq sits inside them.
        var entries = MessagePackWriter(capacity: count * (recordSize + 16))
        var relativeOffsets: [Int] = []
        let fixed = 60  // keys, level, service and headers of a record
        let padding = String(repeating: "x", count: max(8, recordSize - fixed))
        for _ in 0..<count {
            entries.writeArrayHeader(count: 2)
            entries.write(time)
            entries.writeMapHeader(count: 4)
            entries.write("seq")
            entries.writeStringHeader(count: MessageTemplate.sequenceDigits)
            relativeOffsets.append(entries.bytes.count)
            entries.writeRaw(Array(repeating: UInt8(ascii: "0"), count: MessageTemplate.sequenceDigits))
            entries.write("level")
            entries.write("info")
            entries.write("service")
            entries.write("loadgen")
            entries.write("message")
            entries.write(padding)
        }

        var message = MessagePackWriter(capacity: entries.bytes.count + 128)
        message.writeArrayHeader(count: 3)
        message.write(tag)
        message.writeBinaryHeader(count: entries.bytes.count)
        let entriesStart = message.bytes.count
        message.writeRaw(entries.bytes)
        entriesRange = entriesStart..<message.bytes.count
        message.writeMapHeader(count: ack ? 2 : 1)
        message.write("size")
        message.write(count)
        if ack {
            message.write("chunk")
            message.writeStringHeader(count: MessageTemplate.chunkIDLength)
            chunkOffset = message.bytes.count
            message.writeRaw(Array(repeating: UInt8(ascii: "0"), count: MessageTemplate.chunkIDLength))
        }
        bytes = message.bytes
        sequenceOffsets = relativeOffsets.map { $0 + entriesStart }
    }

    /// Writes `first, first + 1, ...` into the records' `seq` fields.
    mutating func setSequence(startingAt first: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for (index, offset) in sequenceOffsets.enumerated() {
                var value = first + index
                for digit in stride(from: MessageTemplate.sequenceDigits - 1, through: 0, by: -1) {
                    buffer[offset + digit] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
        }
    }

    /// Writes a chunk id (hex of `connection` and `message`) and returns it.
    mutating func setChunkID(connection: Int, message: Int) -> [UInt8] {
        guard let chunkOffset else { return [] }
        let digits = Array("0123456789abcdef".utf8)
        var id = [UInt8](repeating: 0, count: MessageTemplate.chunkIDLength)
        var value = UInt64(connection) << 40 | UInt64(message)
        for index in stride(from: MessageTemplate.chunkIDLength - 1, through: 0, by: -1) {
            id[index] = digits[Int(value & 0xf)]
            value >>= 4
        }
        bytes.replaceSubrange(chunkOffset..<(chunkOffset + id.count), with: id)
        return id
    }

    /// The ack the server sends for chunk `id`: `{"ack": id}`.
    static func expectedAck(_ id: [UInt8]) -> [UInt8] {
        var writer = MessagePackWriter()
        writer.writeMapHeader(count: 1)
        writer.write("ack")
        writer.writeString(utf8: id)
        return writer.bytes
    }
}
