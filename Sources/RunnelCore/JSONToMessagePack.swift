/// Converts JSON text straight to MessagePack bytes (RFC 8259), without building objects.
///
/// Containers are written with a 5-byte header that is shrunk to the smallest form once the
/// element count is known. Integers that fit become MessagePack ints, others doubles.
///
/// A key repeated within one object is written as often as it appears, and `sawDuplicateKey`
/// is set: Fluentd's JSON libraries build a Ruby Hash, which keeps the last value at the
/// position of the first occurrence, so the caller then rewrites the record with
/// `MessagePackValue.collapsingDuplicateKeys()`.
public struct JSONToMessagePack {
    let bytes: UnsafeRawBufferPointer
    /// The cursor: the offset of the next byte to read.
    public var i = 0
    var maxDepth = 64
    /// True once any object parsed so far had a key twice.
    public var sawDuplicateKey = false
    /// The keys of the objects being parsed, innermost last: (offset in the output, length, hash).
    var keyMarks: [Int] = []

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public struct Failure: Error {}

    public mutating func skipWhitespace() {
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d else { return }
            i += 1
        }
    }

    public var isAtEnd: Bool { i >= bytes.count }

    /// Parses the object at the cursor, calling `pair` with each top-level key (decoded UTF-8)
    /// after its value has been written to `out`; `pair` returns false to drop the pair again.
    public mutating func parseTopObject(
        into out: inout [UInt8], pair: (_ key: [UInt8], _ valueStart: Int, _ out: inout [UInt8]) -> Bool
    ) throws -> Int {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw Failure() }
        i += 1
        var count = 0
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return 0 }
        var key: [UInt8] = []
        let marksBase = keyMarks.count
        defer { keyMarks.removeSubrange(marksBase...) }
        while true {
            skipWhitespace()
            let pairStart = out.count
            key.removeAll(keepingCapacity: true)
            try parseString(into: &key, raw: true)
            writeStringHeader(key.count, into: &out)
            out.append(contentsOf: key)
            noteKey(out, start: out.count - key.count, count: key.count, marksBase: marksBase)
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
            i += 1
            let valueStart = out.count
            try parseValue(into: &out, depth: 1)
            if pair(key, valueStart, &out) {
                count += 1
            } else {
                out.removeSubrange(pairStart...)
                keyMarks.removeLast(3)
            }
            skipWhitespace()
            guard i < bytes.count else { throw Failure() }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return count }
            throw Failure()
        }
    }

    /// Writes the value at the cursor to `out` as MessagePack; `depth` is its nesting (1 at the top).
    public mutating func parseValue(into out: inout [UInt8], depth: Int) throws {
        guard depth <= maxDepth else { throw Failure() }
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            let headerAt = out.count
            out.append(contentsOf: [0xdb, 0, 0, 0, 0])
            try parseString(into: &out, raw: false)
            shrinkStringHeader(at: headerAt, in: &out)
        case UInt8(ascii: "{"):
            i += 1
            let headerAt = out.count
            out.append(contentsOf: [0xdf, 0, 0, 0, 0])
            var count = 0
            let marksBase = keyMarks.count
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipWhitespace()
                    let keyAt = out.count
                    out.append(contentsOf: [0xdb, 0, 0, 0, 0])
                    try parseString(into: &out, raw: false)
                    let keyLength = out.count - keyAt - 5
                    shrinkStringHeader(at: keyAt, in: &out)
                    noteKey(out, start: out.count - keyLength, count: keyLength, marksBase: marksBase)
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
                    i += 1
                    try parseValue(into: &out, depth: depth + 1)
                    count += 1
                    skipWhitespace()
                    guard i < bytes.count else { throw Failure() }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                    throw Failure()
                }
            }
            // The header shrinks below: the marks of this object's keys would no longer point at them.
            keyMarks.removeSubrange(marksBase...)
            shrinkContainerHeader(at: headerAt, count: count, map: true, in: &out)
        case UInt8(ascii: "["):
            i += 1
            let headerAt = out.count
            out.append(contentsOf: [0xdd, 0, 0, 0, 0])
            var count = 0
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
            } else {
                while true {
                    try parseValue(into: &out, depth: depth + 1)
                    count += 1
                    skipWhitespace()
                    guard i < bytes.count else { throw Failure() }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                    throw Failure()
                }
            }
            shrinkContainerHeader(at: headerAt, count: count, map: false, in: &out)
        case UInt8(ascii: "t"): try literal("true"); out.append(0xc3)
        case UInt8(ascii: "f"): try literal("false"); out.append(0xc2)
        case UInt8(ascii: "n"): try literal("null"); out.append(0xc0)
        default: try parseNumber(into: &out)
        }
    }

    /// Remembers the key at `out[start..<start + count]` of the object whose marks begin at
    /// `marksBase`, and sets `sawDuplicateKey` if that object already had it.
    mutating func noteKey(_ out: [UInt8], start: Int, count: Int, marksBase: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in start..<(start + count) { hash = (hash ^ UInt64(out[k])) &* 0x100_0000_01b3 }
        let h = Int(truncatingIfNeeded: hash)
        if !sawDuplicateKey {
            var m = marksBase
            while m < keyMarks.count {
                if keyMarks[m + 2] == h, keyMarks[m + 1] == count,
                    out[keyMarks[m]..<(keyMarks[m] + count)].elementsEqual(out[start..<(start + count)])
                {
                    sawDuplicateKey = true
                    break
                }
                m += 3
            }
        }
        keyMarks.append(start)
        keyMarks.append(count)
        keyMarks.append(h)
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { throw Failure() }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] { throw Failure() }
        i += count
    }

    mutating func parseNumber(into out: inout [UInt8]) throws {
        let start = i
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < bytes.count {
            let b = bytes[i]
            if b &- 48 < 10 { i += 1; continue }
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: "-")
            {
                isInteger = false
                i += 1
                continue
            }
            break
        }
        guard i > digitsStart else { throw Failure() }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        var writer = MessagePackWriter(appendingTo: [])
        swap(&writer.bytes, &out)
        defer { swap(&writer.bytes, &out) }
        if isInteger, let value = Int64(text) {
            writer.write(value)
        } else if isInteger, let value = UInt64(text) {
            writer.write(value)
        } else if let value = Double(text) {
            writer.write(value)
        } else {
            throw Failure()
        }
    }

    /// Reads a JSON string at the cursor, appending its decoded UTF-8 bytes (no header).
    mutating func parseString(into out: inout [UInt8], raw: Bool) throws {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
        i += 1
        var runStart = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
                i += 1
                return
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
                i += 1
                guard i < bytes.count else { throw Failure() }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xd800, scalar < 0xdc00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                        bytes[i + 1] == UInt8(ascii: "u")
                    {
                        i += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low &- 0xdc00)
                    }
                    let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: out.append(e)
                }
                runStart = i
                continue
            }
            if b < 0x20 { throw Failure() }
            i += 1
        }
        throw Failure()
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Failure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - 55
            default: throw Failure()
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    func writeStringHeader(_ count: Int, into out: inout [UInt8]) {
        out.append(contentsOf: JSONToMessagePack.stringHeader(count))
    }

    static func stringHeader(_ count: Int) -> [UInt8] {
        if count <= 31 { return [0xa0 | UInt8(count)] }
        if count <= 0xff { return [0xd9, UInt8(count)] }
        if count <= 0xffff { return [0xda, UInt8(count >> 8), UInt8(count & 0xff)] }
        return [0xdb, UInt8(count >> 24 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
    }

    func shrinkStringHeader(at headerAt: Int, in out: inout [UInt8]) {
        let length = out.count - headerAt - 5
        out.replaceSubrange(headerAt..<(headerAt + 5), with: JSONToMessagePack.stringHeader(length))
    }

    func shrinkContainerHeader(at headerAt: Int, count: Int, map: Bool, in out: inout [UInt8]) {
        let header: [UInt8]
        if count <= 15 {
            header = [(map ? 0x80 : 0x90) | UInt8(count)]
        } else if count <= 0xffff {
            header = [map ? 0xde : 0xdc, UInt8(count >> 8), UInt8(count & 0xff)]
        } else {
            header = [map ? 0xdf : 0xdd, UInt8(count >> 24 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
        }
        out.replaceSubrange(headerAt..<(headerAt + 5), with: header)
    }

    /// One JSON value (with nothing but whitespace around it) as a decoded value whose maps hold
    /// each key once, as Ruby's `JSON.parse` returns it; nil when the text is not JSON.
    public static func decode(_ text: String) -> MessagePackValue? {
        var text = text
        return text.withUTF8 { utf8 -> MessagePackValue? in
            var scanner = JSONToMessagePack(UnsafeRawBufferPointer(utf8))
            var out: [UInt8] = []
            guard (try? scanner.parseValue(into: &out, depth: 1)) != nil else { return nil }
            scanner.skipWhitespace()
            guard scanner.isAtEnd, let value = try? MessagePackValue(decoding: out) else { return nil }
            return scanner.sawDuplicateKey ? value.collapsingDuplicateKeys() : value
        }
    }
}
