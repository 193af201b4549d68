import RunnelCore

/// What a buffered output gives its buffer: a way to send one chunk.
///
/// The buffer owns chunks, flush timing, retry timing and the secondary; the output only says,
/// as a value, what became of the records it was handed (Fluent Bit's OK / RETRY / ERROR,
/// with per-record progress so that a retry re-sends only what was not accepted).
public protocol ChunkSender: Sendable {
    func send(_ chunk: ChunkToSend) async -> DeliveryResult

    /// The entries to write to the buffer for events of `tag` (already cut by chunk keys), or nil
    /// to write them as they are. Fluentd formats each event when it is written (`Output#format`),
    /// so what an output takes from the event itself rather than from the chunk, such as the tag
    /// of `<inject> tag_key` under a `<buffer>` without a `tag` chunk key, goes into the record here.
    func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]?
}

extension ChunkSender {
    public func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]? { nil }
}

/// An output that can take a chunk whole when it is another output's `<secondary>`, as Fluentd
/// calls a secondary's `write(chunk)` without going through the secondary's own buffer.
public protocol SecondaryChunkWriting {
    var secondarySender: any ChunkSender { get }
}

/// One chunk handed to an output: its entries, the keys it was cut by, and which entries remain.
public struct ChunkToSend: Sendable {
    /// A unique id (hex), stable across restarts; for logs.
    public var id: String
    public var metadata: ChunkMetadata
    /// Concatenated MessagePack `[time, record]` entries, all of the chunk's, delivered or not.
    public var entries: [UInt8]
    /// Number of entries in `entries`.
    public var count: Int
    /// Entries already delivered in an earlier attempt; the output must skip them.
    public var delivered: EntrySet
    /// How many earlier attempts failed (0 on the first flush).
    public var retryCount: Int

    public init(id: String, metadata: ChunkMetadata, entries: [UInt8], count: Int, delivered: EntrySet = EntrySet(), retryCount: Int = 0) {
        self.id = id
        self.metadata = metadata
        self.entries = entries
        self.count = count
        self.delivered = delivered
        self.retryCount = retryCount
    }

    /// Calls `body` with the index, time and record reader of each entry not yet delivered.
    public func forEachPendingEntry(_ body: (Int, EventTime, inout MessagePackReader) throws -> Void) throws {
        var index = 0
        let delivered = self.delivered
        try MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                let current = index
                try reader.readEntry { time, record in
                    if !delivered.contains(current) { try body(current, time, &record) }
                }
                index += 1
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

/// A set of entry indices within a chunk, as a bitmap.
public struct EntrySet: Sendable, Hashable, Codable {
    public private(set) var words: [UInt64]

    public init() { words = [] }

    public init(_ indices: some Sequence<Int>) {
        words = []
        for index in indices { insert(index) }
    }

    public func contains(_ index: Int) -> Bool {
        let word = index >> 6
        return word < words.count && words[word] & (1 << UInt64(index & 63)) != 0
    }

    public mutating func insert(_ index: Int) {
        precondition(index >= 0)
        let word = index >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(index & 63)
    }

    public mutating func formUnion(_ other: EntrySet) {
        if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
        for (i, word) in other.words.enumerated() { words[i] |= word }
    }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
}
