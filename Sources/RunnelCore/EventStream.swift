/// A tag and a batch of events, kept as the MessagePack bytes the Forward protocol carries:
/// `entries` is the concatenation of `[time, record]` arrays (PackedForward's payload).
///
/// This is the unit every queue, lock and actor boundary moves: a whole Forward message or a
/// whole file read, never a single record.
public struct EventStream: Sendable, Equatable {
    public var tag: String
    /// Concatenated MessagePack `[time, record]` entries.
    public var entries: [UInt8]
    /// How many entries `entries` holds.
    public var count: Int

    public init(tag: String, entries: [UInt8], count: Int) {
        self.tag = tag
        self.entries = entries
        self.count = count
    }

    /// Validates PackedForward-style entries and builds a stream of them without re-encoding.
    /// Each entry must be a 2-element array of an event time and a map.
    public init(tag: String, validating entries: [UInt8]) throws {
        self.tag = tag
        self.entries = entries
        self.count = try EventStream.validateEntries(entries)
    }

    public var isEmpty: Bool { count == 0 }

    /// Checks that `bytes` is a sequence of `[time, record]` entries; returns how many.
    public static func validateEntries(_ bytes: [UInt8]) throws -> Int {
        try MessagePackReader.withReader(bytes) { reader in
            var count = 0
            while !reader.isAtEnd {
                try reader.readEntry { _, _ in }
                count += 1
            }
            return count
        }
    }

    /// Calls `body` with each entry's time and a reader positioned at its record (a map).
    /// `body` may read as much or as little of the record as it likes; the walk continues at the next entry.
    public func forEachEntry(_ body: (EventTime, inout MessagePackReader) throws -> Void) throws {
        try MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                try reader.readEntry(body)
            }
        }
    }

    /// Decodes every entry. For filters and tests; hot paths use `forEachEntry`.
    public func decodedEntries() throws -> [(time: EventTime, record: MessagePackValue)] {
        var result: [(time: EventTime, record: MessagePackValue)] = []
        result.reserveCapacity(count)
        try forEachEntry { time, reader in
            result.append((time, try reader.readValue()))
        }
        return result
    }
}

extension MessagePackReader {
    /// Reads one `[time, record]` entry, handing `body` the time and a reader at the record,
    /// and leaves `self` after the entry whatever `body` consumed.
    public mutating func readEntry(_ body: (EventTime, inout MessagePackReader) throws -> Void) throws {
        let entryStart = offset
        let elements = try readArrayHeader()
        guard elements == 2 else {
            offset = entryStart
            throw MessagePackError.unexpectedType(expected: "[time, record] entry", found: .array, offset: entryStart)
        }
        let time = try readEventTime()
        guard try peekType() == .map else { throw unexpected("record (map)") }
        let recordStart = offset
        try skipValue()
        let entryEnd = offset
        var recordReader = MessagePackReader(bytes: bytes, offset: recordStart)
        try body(time, &recordReader)
        offset = entryEnd
    }
}

/// Builds an `EventStream` entry by entry.
public struct EventStreamBuilder: Sendable {
    public var tag: String
    public private(set) var writer: MessagePackWriter
    public private(set) var count = 0

    public init(tag: String, capacity: Int = 4096) {
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

    /// Appends an entry whose record is already MessagePack-encoded (a map).
    public mutating func append<C: Collection>(time: EventTime, encodedRecord: C) where C.Element == UInt8 {
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeRaw(encodedRecord)
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
        let stream = build()
        writer = MessagePackWriter(capacity: max(4096, writer.bytes.count))
        count = 0
        return stream
    }
}
