/// Builds an `EventStream` entry by entry: filters, inputs and every parser write through it.
public struct EventStreamBuilder: Sendable {
    public var tag: String
    public private(set) var writer: MessagePackWriter
    public private(set) var count = 0

    /// A builder for `tag`; parsers, which learn the tag only when the stream is taken, leave it empty.
    public init(tag: String = "", capacity: Int = 4096) {
        self.tag = tag
        self.writer = MessagePackWriter(capacity: capacity)
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

    /// Appends `{key: text}` with the key already encoded: the `none` parser's hot path.
    @inline(__always)
    public mutating func appendSingleField(time: EventTime, encodedKey: [UInt8], value: UnsafeRawBufferPointer) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeMapHeader(count: 1)
        writer.writeRaw(encodedKey)
        writer.writeString(utf8: value)
        count += 1
    }

    /// Appends an entry whose record is already MessagePack-encoded (a map).
    public mutating func append<C: Collection>(time: EventTime, encodedRecord: C) where C.Element == UInt8 {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeRaw(encodedRecord)
        count += 1
    }

    /// Appends an event whose record is a map of `mapCount` already-encoded key/value pairs.
    public mutating func append(time: EventTime, mapCount: Int, encodedPairs: some Collection<UInt8>) {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeMapHeader(count: mapCount)
        writer.writeRaw(encodedPairs)
        count += 1
    }

    /// Appends entries that are already encoded `[time, record]` arrays.
    public mutating func append(encodedEntries: some Collection<UInt8>, count: Int) {
        writer.writeRaw(encodedEntries)
        self.count += count
    }

    public func build() -> EventStream {
        EventStream(tag: tag, entries: writer.bytes, count: count)
    }

    /// Returns the stream built so far and starts a new, empty one with the same tag.
    public mutating func take() -> EventStream {
        take(tag: tag)
    }

    /// Returns the entries so far as a stream for `tag` and starts a new, empty one. The next
    /// buffer is as large as this one was (at least 4 KiB, at most 4 MiB), so a steady producer
    /// does not grow it again.
    public mutating func take(tag: String) -> EventStream {
        let stream = EventStream(tag: tag, entries: writer.bytes, count: count)
        writer = MessagePackWriter(capacity: max(4096, min(writer.bytes.count, 4 << 20)))
        count = 0
        return stream
    }

    /// The decoded entries so far (tests and the parser filter).
    public func decoded() -> [(time: EventTime, record: MessagePackValue)] {
        (try? build().decodedEntries()) ?? []
    }
}
