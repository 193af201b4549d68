/// Splits a TCP byte stream into messages, either at a delimiter (in_tcp's `delimiter`, in_syslog's
/// `frame_type traditional`) or by octet counting (`frame_type octet_count`, RFC 6587 §3.4.1:
/// `MSG-LEN SP SYSLOG-MSG`). Pure: bytes in, frames out, so split packets are tested without sockets.
///
/// A message longer than `limit` is skipped (the bytes are dropped as they arrive, never held) and
/// reported once as `.tooLong`; the messages around it are kept. An octet count that is not a
/// number is reported as `.invalidLength` and the stream resynchronises after the next newline.
public struct MessageFramer: Sendable {
    public enum Framing: Sendable, Equatable {
        case delimiter([UInt8])
        case octetCounting
    }

    public enum Frame: Sendable, Equatable {
        case message([UInt8])
        /// A message of `size` bytes (for a delimited one, at least that many) was skipped.
        case tooLong(size: Int)
        /// What stood where an octet count belongs (up to 32 bytes of it).
        case invalidLength([UInt8])
    }

    private enum Skip: Sendable {
        /// Dropping a delimited message that outgrew the limit; `dropped` bytes so far.
        case toDelimiter(dropped: Int)
        /// Dropping the rest of an octet-counted message of `size` bytes.
        case bytes(remaining: Int, size: Int)
        /// Dropping up to the next newline after a bad octet count.
        case toNewline
    }

    public let framing: Framing
    public let limit: Int
    private var buffer: [UInt8] = []
    /// Where the search for the next delimiter resumes.
    private var scanned = 0
    private var skip: Skip?

    /// The longest count an octet-counted frame may start with: 9 digits (under 1 GB).
    static let maximumCountDigits = 9

    public init(framing: Framing, limit: Int) {
        precondition(limit > 0, "a message length limit is positive")
        if case .delimiter(let delimiter) = framing { precondition(!delimiter.isEmpty, "a delimiter is not empty") }
        self.framing = framing
        self.limit = limit
    }

    /// Bytes held waiting for the rest of a message.
    public var pendingByteCount: Int { buffer.count }

    /// Feeds the next bytes of the stream; returns the frames they complete, in order.
    public mutating func append(_ bytes: some Collection<UInt8>) -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames: [Frame] = []
        switch framing {
        case .delimiter(let delimiter): splitDelimited(delimiter, into: &frames)
        case .octetCounting: splitCounted(into: &frames)
        }
        return frames
    }

    private mutating func splitDelimited(_ delimiter: [UInt8], into frames: inout [Frame]) {
        var start = 0
        while let end = Self.find(delimiter, in: buffer, from: max(start, scanned)) {
            let length = end - start
            if case .toDelimiter(let dropped) = skip {
                frames.append(.tooLong(size: dropped + length))
                skip = nil
            } else if length > limit {
                frames.append(.tooLong(size: length))
            } else {
                frames.append(.message(Array(buffer[start..<end])))
            }
            start = end + delimiter.count
        }
        buffer.removeFirst(start)
        // The last delimiter.count - 1 bytes may be the start of a delimiter.
        scanned = max(0, buffer.count - (delimiter.count - 1))
        if buffer.count > limit {
            let keep = delimiter.count - 1
            let drop = buffer.count - keep
            if case .toDelimiter(let dropped) = skip {
                skip = .toDelimiter(dropped: dropped + drop)
            } else {
                skip = .toDelimiter(dropped: drop)
            }
            buffer.removeFirst(drop)
            scanned = 0
        }
    }

    private mutating func splitCounted(into frames: inout [Frame]) {
        var position = 0
        defer { buffer.removeFirst(position) }
        while position < buffer.count {
            switch skip {
            case .bytes(let remaining, let size):
                let dropped = min(remaining, buffer.count - position)
                position += dropped
                guard dropped == remaining else {
                    skip = .bytes(remaining: remaining - dropped, size: size)
                    return
                }
                skip = nil
                frames.append(.tooLong(size: size))
                continue
            case .toNewline:
                guard let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                    position = buffer.count
                    return
                }
                position = newline + 1
                skip = nil
                continue
            case .toDelimiter, nil:
                break
            }
            // Whitespace between frames (a sender's trailing newline) is not part of a count.
            while position < buffer.count, Self.isSpace(buffer[position]) { position += 1 }
            guard position < buffer.count else { return }
            var cursor = position
            while cursor < buffer.count, cursor - position <= Self.maximumCountDigits, Self.isDigit(buffer[cursor]) { cursor += 1 }
            let digits = cursor - position
            if cursor == buffer.count, digits <= Self.maximumCountDigits { return }  // the count is not complete yet
            guard digits > 0, digits <= Self.maximumCountDigits, buffer[cursor] == UInt8(ascii: " ") else {
                frames.append(.invalidLength(Array(buffer[position..<min(buffer.count, position + 32)])))
                skip = .toNewline
                continue
            }
            let size = buffer[position..<cursor].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            let body = cursor + 1
            if size > limit {
                position = body
                skip = .bytes(remaining: size, size: size)
                continue
            }
            guard buffer.count - body >= size else { return }
            frames.append(.message(Array(buffer[body..<body + size])))
            position = body + size
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    static func find(_ delimiter: [UInt8], in buffer: [UInt8], from start: Int) -> Int? {
        guard buffer.count - start >= delimiter.count else { return nil }
        if delimiter.count == 1 { return buffer[start...].firstIndex(of: delimiter[0]) }
        var index = start
        while index + delimiter.count <= buffer.count {
            if buffer[index] == delimiter[0], buffer[index..<index + delimiter.count].elementsEqual(delimiter) { return index }
            index += 1
        }
        return nil
    }
}
