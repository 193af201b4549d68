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
        let scan = scanEntries(bytes)
        if let error = scan.error { throw error }
        return scan.count
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
        let entry = try readEntryParts()
        let entryEnd = offset
        var recordReader = MessagePackReader(bytes: bytes, offset: entry.record.lowerBound)
        try body(entry.time, &recordReader)
        offset = entryEnd
    }

    /// Reads one `[time, record]` entry for a `body` that reads the record to its end, and
    /// leaves `self` where `body` left its reader: the record is walked once.
    public mutating func readEntryConsuming(_ body: (EventTime, inout MessagePackReader) throws -> Void) throws {
        let head = try readEntryHead()
        try body(head.time, &self)
    }

    /// Reads one `[time, record]` entry and returns where its time and its record (a map) lie,
    /// for code that copies them as they are.
    public mutating func readEntryRanges() throws -> (time: Range<Int>, record: Range<Int>) {
        let entry = try readEntryParts()
        return (entry.timeRange, entry.record)
    }

    private mutating func readEntryParts() throws -> (time: EventTime, timeRange: Range<Int>, record: Range<Int>) {
        let head = try readEntryHead()
        let recordStart = offset
        try skipValue()
        return (head.time, head.timeRange, recordStart..<offset)
    }

    /// The array header and time of an entry, leaving `self` at its record (a map).
    private mutating func readEntryHead() throws -> (time: EventTime, timeRange: Range<Int>) {
        let entryStart = offset
        let elements = try readArrayHeader()
        guard elements == 2 else {
            offset = entryStart
            throw MessagePackError.unexpectedType(expected: "[time, record] entry", found: .array, offset: entryStart)
        }
        let timeStart = offset
        let time = try readEventTime()
        let timeEnd = offset
        guard try peekType() == .map else { throw unexpected("record (map)") }
        return (time, timeStart..<timeEnd)
    }
}
