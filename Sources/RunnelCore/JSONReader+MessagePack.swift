/// JSON straight to MessagePack bytes, without building objects: JSON log lines become records
/// this way.
///
/// Containers are written with a 5-byte header that is shrunk to the smallest form once the
/// element count is known. Integers that fit become MessagePack ints, others doubles.
///
/// A key repeated within one object is written as often as it appears, and `sawDuplicateKey`
/// is set: Fluentd's JSON libraries build a Ruby Hash, which keeps the last value at the
/// position of the first occurrence, so the caller then rewrites the record with
/// `MessagePackValue.collapsingDuplicateKeys()` (`decode` does).
extension JSONReader {
    /// Converts the object at the cursor, calling `pair` with each top-level key (decoded UTF-8)
    /// after its value has been written to `out`; `pair` returns false to drop the pair again.
    /// Returns the number of pairs kept; `out` holds them without a map header.
    public mutating func appendObjectPairs(
        into out: inout [UInt8], pair: (_ key: [UInt8], _ valueStart: Int, _ out: inout [UInt8]) -> Bool
    ) throws -> Int {
        try expect(UInt8(ascii: "{"), "to open an object")
        if consume(UInt8(ascii: "}")) { return 0 }
        var count = 0
        var key: [UInt8] = []
        let marksBase = keyMarks.count
        defer { keyMarks.removeSubrange(marksBase...) }
        while true {
            skipWhitespace()
            let pairStart = out.count
            key.removeAll(keepingCapacity: true)
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a string key in an object") }
            try readString(into: &key)
            out.append(contentsOf: Self.stringHeader(key.count))
            out.append(contentsOf: key)
            noteKey(out, start: out.count - key.count, count: key.count, marksBase: marksBase)
            try expect(UInt8(ascii: ":"), "after an object key")
            let valueStart = out.count
            try appendMessagePack(into: &out, depth: 1)
            if pair(key, valueStart, &out) {
                count += 1
            } else {
                out.removeSubrange(pairStart...)
                keyMarks.removeLast(3)
            }
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "}"), "or ',' in an object")
            return count
        }
    }

    /// Writes the value at the cursor to `out` as MessagePack.
    public mutating func appendMessagePack(into out: inout [UInt8]) throws {
        try appendMessagePack(into: &out, depth: 1)
    }

    /// `depth` is the value's nesting (1 at the top).
    mutating func appendMessagePack(into out: inout [UInt8], depth: Int) throws {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth)") }
        switch try peekKind() {
        case .string:
            let headerAt = out.count
            out.append(contentsOf: [0xdb, 0, 0, 0, 0])
            try readString(into: &out)
            shrinkStringHeader(at: headerAt, in: &out)
        case .object:
            offset += 1
            let headerAt = out.count
            out.append(contentsOf: [0xdf, 0, 0, 0, 0])
            var count = 0
            let marksBase = keyMarks.count
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipWhitespace()
                    guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a string key in an object") }
                    let keyAt = out.count
                    out.append(contentsOf: [0xdb, 0, 0, 0, 0])
                    try readString(into: &out)
                    let keyLength = out.count - keyAt - 5
                    shrinkStringHeader(at: keyAt, in: &out)
                    noteKey(out, start: out.count - keyLength, count: keyLength, marksBase: marksBase)
                    try expect(UInt8(ascii: ":"), "after an object key")
                    try appendMessagePack(into: &out, depth: depth + 1)
                    count += 1
                    if consume(UInt8(ascii: ",")) { continue }
                    try expect(UInt8(ascii: "}"), "or ',' in an object")
                    break
                }
            }
            // The header shrinks below: the marks of this object's keys would no longer point at them.
            keyMarks.removeSubrange(marksBase...)
            shrinkContainerHeader(at: headerAt, count: count, map: true, in: &out)
        case .array:
            offset += 1
            let headerAt = out.count
            out.append(contentsOf: [0xdd, 0, 0, 0, 0])
            var count = 0
            if !consume(UInt8(ascii: "]")) {
                while true {
                    try appendMessagePack(into: &out, depth: depth + 1)
                    count += 1
                    if consume(UInt8(ascii: ",")) { continue }
                    try expect(UInt8(ascii: "]"), "or ',' in an array")
                    break
                }
            }
            shrinkContainerHeader(at: headerAt, count: count, map: false, in: &out)
        case .bool: out.append(try readBool() ? 0xc3 : 0xc2)
        case .null:
            try literal("null")
            out.append(0xc0)
        case .number:
            var writer = MessagePackWriter(appendingTo: [])
            swap(&writer.bytes, &out)
            defer { swap(&writer.bytes, &out) }
            writer.write(try readNumber())
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

    static func stringHeader(_ count: Int) -> [UInt8] {
        if count <= 31 { return [0xa0 | UInt8(count)] }
        if count <= 0xff { return [0xd9, UInt8(count)] }
        if count <= 0xffff { return [0xda, UInt8(count >> 8), UInt8(count & 0xff)] }
        return [0xdb, UInt8(count >> 24 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
    }

    func shrinkStringHeader(at headerAt: Int, in out: inout [UInt8]) {
        let length = out.count - headerAt - 5
        out.replaceSubrange(headerAt..<(headerAt + 5), with: Self.stringHeader(length))
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
}
