/// Why JSON text could not be read: the byte offset and what was expected there.
public struct JSONReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offset of the byte where reading stopped.
    public var offset: Int
    /// What was wrong: "expected ':' after an object key", "unterminated string".
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// The one JSON reader (RFC 8259): a cursor over bytes, beside `JSONWriter`. Values are read
/// in place, in document order, without Foundation and without building objects unless asked
/// to (`decode`, or MessagePack through `appendMessagePack`), so object keys keep the order they
/// were written in. Invalid text throws `JSONReaderError` with the offset and what was expected.
///
/// Every JSON document Runnel reads goes through it: JSON log lines, AWS answers (PutRecords,
/// error documents), config values, journal matches and the systemd cursor file.
public struct JSONReader {
    public let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    public var offset = 0
    /// Deepest array/object nesting accepted.
    public var maxDepth = 64
    /// True once an object converted to MessagePack had a key twice (see `appendMessagePack`).
    public var sawDuplicateKey = false
    /// The keys of the objects being converted, innermost last: (offset in the output, length, hash).
    var keyMarks: [Int] = []

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs `body` with a reader over `bytes`.
    public static func withReader<R>(_ bytes: [UInt8], _ body: (inout JSONReader) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            var reader = JSONReader(raw)
            return try body(&reader)
        }
    }

    /// The kinds of JSON value.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    public mutating func skipWhitespace() {
        var i = offset
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d else { break }
            i += 1
        }
        offset = i
    }

    func failure(_ reason: String) -> JSONReaderError { JSONReaderError(offset: offset, reason: reason) }

    /// The kind of the value after any whitespace (the cursor is left at it).
    public mutating func peekKind() throws -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw failure("expected a value, found the end of the text") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw failure("expected a value, found '\(Character(Unicode.Scalar(bytes[offset])))'")
        }
    }

    /// After whitespace, consumes `byte` if it is next.
    @inline(__always)
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ context: String) throws {
        guard consume(byte) else {
            let found = offset < bytes.count ? "'\(Character(Unicode.Scalar(bytes[offset])))'" : "the end of the text"
            throw failure("expected '\(Character(Unicode.Scalar(byte)))' \(context), found \(found)")
        }
    }

    /// Throws unless only whitespace is left.
    public mutating func expectEnd() throws {
        skipWhitespace()
        guard isAtEnd else { throw failure("unexpected text after the JSON value") }
    }

    /// Reads an object, calling `body` with each key (decoded UTF-8) and the reader at its value.
    /// `body` may read the value or leave it (it is then skipped). A repeated key is handed over
    /// each time it appears. Returns the number of members.
    @discardableResult
    public mutating func readObject(_ body: (_ key: [UInt8], _ reader: inout JSONReader) throws -> Void) throws -> Int {
        try expect(UInt8(ascii: "{"), "to open an object")
        if consume(UInt8(ascii: "}")) { return 0 }
        var count = 0
        var key: [UInt8] = []
        repeat {
            skipWhitespace()
            key.removeAll(keepingCapacity: true)
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a string key in an object") }
            try readString(into: &key)
            try expect(UInt8(ascii: ":"), "after an object key")
            skipWhitespace()
            let valueStart = offset
            try body(key, &self)
            if offset == valueStart { try skipValue() }
            count += 1
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "or ',' in an object")
        return count
    }

    /// Reads an array, calling `body` with the reader at each element; an element `body` leaves
    /// is skipped. Returns the number of elements.
    @discardableResult
    public mutating func readArray(_ body: (_ reader: inout JSONReader) throws -> Void) throws -> Int {
        try expect(UInt8(ascii: "["), "to open an array")
        if consume(UInt8(ascii: "]")) { return 0 }
        var count = 0
        repeat {
            skipWhitespace()
            let valueStart = offset
            try body(&self)
            if offset == valueStart { try skipValue() }
            count += 1
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "or ',' in an array")
        return count
    }

    public mutating func readString() throws -> String {
        var out: [UInt8] = []
        try readString(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads a string, appending its decoded UTF-8 bytes to `out`.
    public mutating func readString(into out: inout [UInt8]) throws {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a string") }
        var i = offset + 1
        var runStart = i
        let end = bytes.count
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
                offset = i + 1
                return
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
                offset = i
                try readEscape(into: &out)
                i = offset
                runStart = i
                continue
            }
            if b < 0x20 {
                offset = i
                throw failure("control character in a string")
            }
            i += 1
        }
        offset = end
        throw failure("unterminated string")
    }

    /// At a backslash: appends the character it stands for.
    mutating func readEscape(into out: inout [UInt8]) throws {
        offset += 1
        guard offset < bytes.count else { throw failure("unterminated string") }
        let e = bytes[offset]
        offset += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xd800, scalar < 0xdc00, offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                bytes[offset + 1] == UInt8(ascii: "u")
            {
                offset += 2
                let low = try hex4()
                scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low &- 0xdc00)
            }
            let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default: out.append(e)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw failure("expected 4 hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[offset]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - 55
            default: throw failure("expected 4 hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// A number: an integer that fits Int64 or UInt64 as such, anything else as a double.
    public mutating func readNumber() throws -> MessagePackValue {
        skipWhitespace()
        let start = offset
        let isInteger = try skipNumber()
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .int(value) }
        if isInteger, let value = UInt64(text) { return .uint(value) }
        if let value = Double(text) { return .double(value) }
        offset = start
        throw failure("'\(text)' is not a number")
    }

    /// An integer that fits `Int` (no fraction, no exponent).
    public mutating func readInteger() throws -> Int {
        skipWhitespace()
        let start = offset
        switch try readNumber() {
        case .int(let value) where value >= Int64(Int.min) && value <= Int64(Int.max): return Int(value)
        default:
            offset = start
            throw failure("expected an integer")
        }
    }

    public mutating func readBool() throws -> Bool {
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// Consumes `null` if it is next.
    public mutating func readNullIfPresent() throws -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw failure("expected '\(word)'") }
        for k in 0..<count where bytes[offset + k] != word.utf8Start[k] { throw failure("expected '\(word)'") }
        offset += count
    }

    /// Moves past a number's characters (sign, digits, fraction, exponent); true when it had
    /// only digits. The text is checked by whoever converts it (`readNumber`), or left unchecked
    /// beyond its characters when only skipped.
    mutating func skipNumber() throws -> Bool {
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let digitsStart = offset
        while offset < bytes.count {
            let b = bytes[offset]
            if b &- 48 < 10 { offset += 1; continue }
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: "-")
            {
                isInteger = false
                offset += 1
                continue
            }
            break
        }
        guard offset > digitsStart else { throw failure("expected a value") }
        return isInteger
    }

    /// Skips one value of any kind, checking its structure (strings are scanned, not decoded;
    /// numbers only for their characters). One loop with a depth counter and a bit per level
    /// (object or array), no recursion: this is what skips the result entries of a PutRecords
    /// answer on every flush.
    public mutating func skipValue() throws {
        var depth = 0
        var objects: UInt64 = 0
        let limit = min(maxDepth, 64)
        value: while true {
            skipWhitespace()
            guard offset < bytes.count else { throw failure("expected a value, found the end of the text") }
            switch bytes[offset] {
            case UInt8(ascii: "\""):
                try skipString()
            case let open where open == UInt8(ascii: "{") || open == UInt8(ascii: "["):
                guard depth < limit else { throw failure("nested deeper than \(maxDepth)") }
                let isObject = open == UInt8(ascii: "{")
                offset += 1
                if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                depth += 1
                if consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    depth -= 1
                } else {
                    if isObject { try skipKeyAndColon() }
                    continue value
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try skipNumber()
            }
            // After a value: a comma continues the container, its bracket closes it.
            while depth > 0 {
                let isObject = objects & (1 << UInt64(depth - 1)) != 0
                if consume(UInt8(ascii: ",")) {
                    if isObject { try skipKeyAndColon() }
                    continue value
                }
                try expect(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"), isObject ? "or ',' in an object" : "or ',' in an array")
                depth -= 1
            }
            return
        }
    }

    @inline(__always)
    private mutating func skipKeyAndColon() throws {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a string key in an object") }
        try skipString()
        try expect(UInt8(ascii: ":"), "after an object key")
    }

    /// At a quote: moves past the string, escapes and all, without decoding it.
    @inline(__always)
    private mutating func skipString() throws {
        // A local cursor: the loop keeps it in a register rather than storing `offset` per byte.
        var i = offset + 1
        let end = bytes.count
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                offset = i + 1
                return
            }
            if b == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if b < 0x20 {
                offset = i
                throw failure("control character in a string")
            }
            i += 1
        }
        offset = end
        throw failure("unterminated string")
    }
}

extension JSONReader {
    /// One JSON document (a value with nothing but whitespace around it) as a decoded value
    /// whose objects are ordered maps holding each key once, as Ruby's `JSON.parse` returns
    /// them: the last value of a repeated key, at the position of its first occurrence.
    public static func decode(_ bytes: [UInt8]) throws -> MessagePackValue {
        try withReader(bytes) { reader in
            var out: [UInt8] = []
            try reader.appendMessagePack(into: &out)
            try reader.expectEnd()
            let value = try MessagePackValue(decoding: out)
            return reader.sawDuplicateKey ? value.collapsingDuplicateKeys() : value
        }
    }

    public static func decode(_ text: String) throws -> MessagePackValue {
        try decode(Array(text.utf8))
    }
}
