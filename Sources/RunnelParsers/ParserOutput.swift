import RunnelCore

/// Packed `[time, record]` entries produced by parsers, ready to become an `EventStream`.
public struct ParserOutput: Sendable {
    public private(set) var writer: MessagePackWriter
    public private(set) var count = 0

    public init(capacity: Int = 4096) {
        writer = MessagePackWriter(capacity: capacity)
    }

    public var byteCount: Int { writer.bytes.count }

    public mutating func append(time: EventTime, record: MessagePackValue) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.write(record)
        count += 1
    }

    /// Appends an event whose record is given as ordered string-keyed fields.
    public mutating func append(time: EventTime, fields: [(String, MessagePackValue)]) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeMapHeader(count: fields.count)
        for (key, value) in fields {
            writer.write(key)
            writer.write(value)
        }
        count += 1
    }

    /// Appends `{key: line}`: the `none` parser's hot path, with the key already encoded.
    @inline(__always)
    public mutating func appendSingleField(time: EventTime, encodedKey: [UInt8], value: UnsafeRawBufferPointer) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeMapHeader(count: 1)
        writer.writeRaw(encodedKey)
        writer.writeString(utf8: value)
        count += 1
    }

    /// Appends an event whose record is already encoded (a map).
    public mutating func append(time: EventTime, encodedRecord: some Collection<UInt8>) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeRaw(encodedRecord)
        count += 1
    }

    /// Appends an event whose record is a map of `count` already-encoded key/value pairs.
    public mutating func append(time: EventTime, mapCount: Int, encodedPairs: some Collection<UInt8>) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeMapHeader(count: mapCount)
        writer.writeRaw(encodedPairs)
        count += 1
    }

    /// The entries so far as an event stream, leaving this output empty.
    public mutating func take(tag: String) -> EventStream {
        let stream = EventStream(tag: tag, entries: writer.bytes, count: count)
        writer = MessagePackWriter(capacity: max(4096, min(writer.bytes.count, 4 << 20)))
        count = 0
        return stream
    }

    /// The decoded entries (tests and the parser filter).
    public func decoded() -> [(time: EventTime, record: MessagePackValue)] {
        (try? EventStream(tag: "", entries: writer.bytes, count: count).decodedEntries()) ?? []
    }
}
