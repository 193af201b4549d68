import RunnelCore

/// Writes an `EventStream` as Forward protocol messages in any mode (the client's side).
public enum ForwardMessageEncoder {
    /// The messages for `stream` in `mode`; Message mode yields one message per event, the
    /// other modes one message. `chunk` is put in the option of every message when given.
    public static func encode(_ stream: EventStream, mode: ForwardMessage.Mode, chunk: String?) throws -> [[UInt8]] {
        switch mode {
        case .message:
            var messages: [[UInt8]] = []
            messages.reserveCapacity(stream.count)
            try MessagePackReader.withReader(stream.entries) { reader in
                while !reader.isAtEnd {
                    _ = try reader.readArrayHeader()
                    let time = try reader.skipValueRange()
                    let record = try reader.skipValueRange()
                    var writer = MessagePackWriter(capacity: 32 + time.count + record.count + stream.tag.utf8.count)
                    writer.writeArrayHeader(count: chunk == nil ? 3 : 4)
                    writer.write(stream.tag)
                    writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[time]))
                    writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[record]))
                    if let chunk { writeOption(&writer, size: nil, chunk: chunk, compressed: false) }
                    messages.append(writer.bytes)
                }
            }
            return messages
        case .forward:
            var writer = MessagePackWriter(capacity: stream.entries.count + 64)
            writer.writeArrayHeader(count: 3)
            writer.write(stream.tag)
            writer.writeArrayHeader(count: stream.count)
            writer.writeRaw(stream.entries)
            writeOption(&writer, size: stream.count, chunk: chunk, compressed: false)
            return [writer.bytes]
        case .packedForward:
            var writer = MessagePackWriter(capacity: stream.entries.count + 64)
            writer.writeArrayHeader(count: 3)
            writer.write(stream.tag)
            writer.writeBinary(stream.entries)
            writeOption(&writer, size: stream.count, chunk: chunk, compressed: false)
            return [writer.bytes]
        case .compressedPackedForward:
            let compressed = try GzipInflater.deflate(stream.entries)
            var writer = MessagePackWriter(capacity: compressed.count + 64)
            writer.writeArrayHeader(count: 3)
            writer.write(stream.tag)
            writer.writeBinary(compressed)
            writeOption(&writer, size: stream.count, chunk: chunk, compressed: true)
            return [writer.bytes]
        }
    }

    static func writeOption(_ writer: inout MessagePackWriter, size: Int?, chunk: String?, compressed: Bool) {
        writer.writeMapHeader(count: (size == nil ? 0 : 1) + (chunk == nil ? 0 : 1) + (compressed ? 1 : 0))
        if let size {
            writer.write("size")
            writer.write(size)
        }
        if let chunk {
            writer.write("chunk")
            writer.write(chunk)
        }
        if compressed {
            writer.write("compressed")
            writer.write("gzip")
        }
    }
}
