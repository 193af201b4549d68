import RunnelCore

/// What a buffered output gives its buffer: a way to send one chunk.
///
/// The buffer owns chunks, flush timing, retry timing and the secondary; the output only says,
/// as a value, what became of the records it was handed (Fluent Bit's OK / RETRY / ERROR,
/// with per-record progress so that a retry re-sends only what was not accepted).
public protocol ChunkSender: Sendable {
    func send(_ chunk: ChunkToSend) async -> DeliveryResult

    /// How many bytes of a chunk's entries to hand to one `send` at most (whole entries; a
    /// larger entry comes alone). The buffer reads and sends a chunk slice by slice, so the
    /// memory of a flush is bounded by this, not by `chunk_limit_size`. `Int.max`: whole chunks.
    var sliceBytes: Int { get }

    /// The entries to write to the buffer for events of `tag` (already cut by chunk keys), or nil
    /// to write them as they are. Fluentd formats each event when it is written (`Output#format`),
    /// so what an output takes from the event itself rather than from the chunk, such as the tag
    /// of `<inject> tag_key` under a `<buffer>` without a `tag` chunk key, goes into the record here.
    func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]?
}

extension ChunkSender {
    public func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]? { nil }
    public var sliceBytes: Int { .max }
}

/// An output that can take a chunk whole when it is another output's `<secondary>`, as Fluentd
/// calls a secondary's `write(chunk)` without going through the secondary's own buffer.
public protocol SecondaryChunkWriting {
    var secondarySender: any ChunkSender { get }
}

/// One slice of a chunk handed to an output (the whole chunk when it is smaller than
/// `ChunkSender.sliceBytes`): its entries, the keys the chunk was cut by, and which entries remain.
public struct ChunkToSend: Sendable {
    /// A unique id (hex), stable across restarts; for logs.
    public var id: String
    public var metadata: ChunkMetadata
    /// Concatenated MessagePack `[time, record]` entries of this slice, delivered or not.
    public var entries: [UInt8]
    /// Number of the chunk's entries this slice covers (`entries` holds fewer when `indices` is set).
    public var count: Int
    /// The chunk's index of the first entry of `entries`: entry indices (in `delivered`,
    /// `retries` and results) are the chunk's, `firstIndex..<firstIndex + count` for this slice.
    public var firstIndex: Int
    /// When `entries` holds only some entries of the slice (a retry: those not yet delivered),
    /// the chunk index of each; nil when they are consecutive from `firstIndex`.
    public var indices: [Int]?
    /// Entries already delivered in an earlier attempt; the output must skip them.
    public var delivered: EntrySet
    /// How many earlier attempts failed (0 on the first flush).
    public var retryCount: Int
    /// Per-record retries carried over from an earlier attempt that answered `.deferred`.
    public var retries: PendingRetries
    /// Whether the output may answer `.deferred` (false on shutdown, `flush` commands and for a
    /// `<secondary>`, where whatever waits is retried in place).
    public var mayDefer: Bool
    /// Called by the output after each answer of its destination with the entries it accepted,
    /// so the buffer records progress per request, not per slice.
    public var onAccepted: (@Sendable (EntrySet) -> Void)?

    public init(
        id: String, metadata: ChunkMetadata, entries: [UInt8], count: Int, firstIndex: Int = 0, indices: [Int]? = nil,
        delivered: EntrySet = EntrySet(),
        retryCount: Int = 0, retries: PendingRetries = PendingRetries(), mayDefer: Bool = false,
        onAccepted: (@Sendable (EntrySet) -> Void)? = nil
    ) {
        self.id = id
        self.metadata = metadata
        self.entries = entries
        self.count = count
        self.firstIndex = firstIndex
        self.indices = indices
        self.delivered = delivered
        self.retryCount = retryCount
        self.retries = retries
        self.mayDefer = mayDefer
        self.onAccepted = onAccepted
    }

    /// The entries of this slice not yet delivered.
    public var pendingCount: Int {
        var pending = 0
        if let indices {
            for index in indices where !delivered.contains(index) { pending += 1 }
        } else {
            for index in firstIndex..<(firstIndex + count) where !delivered.contains(index) { pending += 1 }
        }
        return pending
    }

    /// Calls `body` with the (chunk) index, time and record reader of each entry not yet delivered.
    public func forEachPendingEntry(_ body: (Int, EventTime, inout MessagePackReader) throws -> Void) throws {
        try walkEntries { index, pending, reader in
            try reader.readEntry { time, record in
                if pending { try body(index, time, &record) }
            }
        }
    }

    /// `forEachPendingEntry` for a `body` that reads each record to its end (a formatter): the
    /// walk goes on where `body` left the reader, so each record is walked once, not skipped
    /// first to find its end. `body` must leave the reader just after the record.
    public func forEachPendingEntryConsuming(_ body: (Int, EventTime, inout MessagePackReader) throws -> Void) throws {
        try walkEntries { index, pending, reader in
            if pending {
                try reader.readEntryConsuming { time, record in try body(index, time, &record) }
            } else {
                try reader.skipValue()
            }
        }
    }

    /// Calls `body` with the (chunk) index and the encoded bytes of each entry not yet delivered.
    public func forEachPendingEntryBytes(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        try walkEntries { index, pending, reader in
            let start = reader.offset
            try reader.skipValue()
            if pending { try body(index, UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.offset])) }
        }
    }

    /// Calls `step` at each entry with its (chunk) index and whether it is still pending; `step`
    /// moves the reader past the entry.
    private func walkEntries(_ step: (Int, Bool, inout MessagePackReader) throws -> Void) throws {
        var position = 0
        let delivered = self.delivered
        try MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                let index = indices?[position] ?? firstIndex + position
                try step(index, !delivered.contains(index), &reader)
                position += 1
            }
        }
    }
}

/// The values a chunk was cut by (`<buffer tag,time,key>`), used to expand placeholders
/// such as `${tag}`, `${key}` and strftime patterns in output parameters.
public struct ChunkMetadata: Sendable, Hashable, Codable {
    public var tag: String?
    /// Start of the chunk's time key period (seconds since epoch), when `time` is a chunk key.
    public var timekey: Int?
    /// Record-key chunk keys and their values.
    public var variables: [String: String]
    /// Seconds east of UTC in which strftime placeholders are formatted (`timekey_use_utc`,
    /// `timekey_zone`); nil means the local zone.
    public var utcOffset: Int?

    public init(tag: String? = nil, timekey: Int? = nil, variables: [String: String] = [:], utcOffset: Int? = nil) {
        self.tag = tag
        self.timekey = timekey
        self.variables = variables
        self.utcOffset = utcOffset
    }
}

/// What became of a chunk handed to `ChunkSender.send`.
public enum DeliveryResult: Sendable {
    /// Every pending entry was accepted (or deliberately dropped, with a log line and a metric).
    case delivered
    /// Some entries were accepted; the rest go back to the buffer's retry policy. `accepted` holds
    /// the entries accepted in this attempt (the buffer adds them to the chunk's progress).
    case partial(accepted: EntrySet, error: DeliveryError)
    /// Nothing was accepted this time; retry per the buffer's retry policy.
    case retry(DeliveryError)
    /// The chunk can never be delivered (bad configuration, permission denied...): hand it to the
    /// `<secondary>` if there is one, else keep it per retry policy, logging once.
    case rejected(DeliveryError)
    /// Not a failure: `accepted` went through and the destination asked for the rest to be re-sent
    /// after `after` (per-record retries, `retries_on_batch_request`). The buffer sends other
    /// slices and chunks meanwhile, then offers the rest again with `retries`.
    case deferred(accepted: EntrySet, retries: PendingRetries, after: Duration)
}

/// Per-record retry state an output asks the buffer to keep between attempts of a chunk: how
/// many times each waiting entry was tried and failed, and the backoff exponent of the next wait.
/// Kept in memory only: after a restart, retries count from zero again.
public struct PendingRetries: Sendable, Equatable {
    /// Failed attempts so far, by chunk entry index.
    public var attempts: [Int: Int]
    /// The exponent of the next backoff (fluent-plugin-kinesis' `Backoff#next`).
    public var backoffCount: Int

    public init(attempts: [Int: Int] = [:], backoffCount: Int = 0) {
        self.attempts = attempts
        self.backoffCount = backoffCount
    }

    /// The state of two slices' retries together.
    public mutating func merge(_ other: PendingRetries) {
        attempts.merge(other.attempts) { max($0, $1) }
        backoffCount = max(backoffCount, other.backoffCount)
    }
}

/// Why a delivery failed, for logs and metrics.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The destination's error code (`ProvisionedThroughputExceededException`, `HTTP 503`...).
    public var code: String?
    /// When the destination asked for a specific wait (Retry-After), or nil for the buffer's policy.
    public var retryAfter: Duration?

    public init(_ message: String, code: String? = nil, retryAfter: Duration? = nil) {
        self.message = message
        self.code = code
        self.retryAfter = retryAfter
    }

    public var description: String { code.map { "\(message) (\($0))" } ?? message }
}

/// A set of entry indices within a chunk, as a bitmap of the words from the lowest set one: the
/// entries one request accepted deep in a big chunk take a few words, not the chunk's width.
public struct EntrySet: Sendable, Hashable, Codable {
    /// The word index of `storage[0]`.
    private var base = 0
    private var storage: [UInt64] = []

    public init() {}

    public init(_ indices: some Sequence<Int>) {
        for index in indices { insert(index) }
    }

    /// The bitmap from entry 0: bit `b` of word `w` is entry `64 * w + b` (the metadata's `delivered`).
    public var words: [UInt64] {
        let (first, trimmed) = normalized
        return first == 0 ? Array(trimmed) : Array(repeating: 0, count: first) + trimmed
    }

    public func contains(_ index: Int) -> Bool {
        let word = (index >> 6) - base
        return word >= 0 && word < storage.count && storage[word] & (1 << UInt64(index & 63)) != 0
    }

    public mutating func insert(_ index: Int) {
        precondition(index >= 0)
        let word = index >> 6
        cover(word..<(word + 1))
        storage[word - base] |= 1 << UInt64(index & 63)
    }

    /// Adds the entries `range`.
    public mutating func insert(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        cover((range.lowerBound >> 6)..<((range.upperBound - 1) >> 6 + 1))
        var index = range.lowerBound
        while index < range.upperBound {
            if index & 63 == 0, range.upperBound - index >= 64 {
                storage[(index >> 6) - base] = .max
                index += 64
            } else {
                storage[(index >> 6) - base] |= 1 << UInt64(index & 63)
                index += 1
            }
        }
    }

    public mutating func formUnion(_ other: EntrySet) {
        formUnionCountingNew(other)
    }

    /// Adds `other`'s entries; returns how many of them were not in the set yet.
    @discardableResult
    public mutating func formUnionCountingNew(_ other: EntrySet) -> Int {
        let (first, theirs) = other.normalized
        guard !theirs.isEmpty else { return 0 }
        cover(first..<(first + theirs.count))
        var added = 0
        for (offset, word) in theirs.enumerated() where word != 0 {
            let i = first + offset - base
            added += (word & ~storage[i]).nonzeroBitCount
            storage[i] |= word
        }
        return added
    }

    public var count: Int { storage.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { storage.allSatisfy { $0 == 0 } }

    /// Grows the storage to hold the words `range`.
    private mutating func cover(_ range: Range<Int>) {
        if storage.isEmpty {
            base = range.lowerBound
            storage = Array(repeating: 0, count: range.count)
            return
        }
        if range.lowerBound < base {
            storage.insert(contentsOf: repeatElement(0, count: base - range.lowerBound), at: 0)
            base = range.lowerBound
        }
        let end = base + storage.count
        if range.upperBound > end { storage.append(contentsOf: repeatElement(0, count: range.upperBound - end)) }
    }

    /// The first word index with a bit set and the words from it to the last with a bit set.
    private var normalized: (Int, ArraySlice<UInt64>) {
        guard let first = storage.firstIndex(where: { $0 != 0 }), let last = storage.lastIndex(where: { $0 != 0 }) else {
            return (0, [])
        }
        return (base + first, storage[first...last])
    }

    public static func == (lhs: EntrySet, rhs: EntrySet) -> Bool {
        let (a, x) = lhs.normalized
        let (b, y) = rhs.normalized
        return a == b && x.elementsEqual(y)
    }

    public func hash(into hasher: inout Hasher) {
        let (first, words) = normalized
        hasher.combine(first)
        for word in words { hasher.combine(word) }
    }

    public init(from decoder: any Decoder) throws {
        storage = try decoder.singleValueContainer().decode([UInt64].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(words)
    }
}
