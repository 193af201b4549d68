/// Writes JSON text straight from MessagePack bytes into a reused byte buffer.
///
/// Foundation's JSON encoders cost 10-100x more per record (shared/PERFORMANCE.md), so records
/// never become objects on the way out. Output follows Ruby's `JSON.generate`, which Fluentd's
/// json formatter uses: compact, keys in record order, non-ASCII left as UTF-8, control
/// characters escaped, non-string map keys written as strings, EventTime values as their
/// integer seconds. Invalid UTF-8 becomes U+FFFD rather than an invalid document;
/// NaN and infinities (which Ruby refuses) become null.
public enum JSONWriter {
    /// Appends the JSON for the value at `reader`, advancing the reader past it.
    /// `inlineKeys` (inside a map key being written as a string) writes nested non-string keys as
    /// their bare text, so the key is escaped once, not once per level (which doubles its size per level).
    public static func appendValue(
        from reader: inout MessagePackReader, to out: inout [UInt8], depth: Int = 0, inlineKeys: Bool = false
    ) throws {
        guard depth <= reader.maxDepth else {
            throw MessagePackError.nestingTooDeep(limit: reader.maxDepth, offset: reader.offset)
        }
        switch try reader.peekType() {
        case .nil:
            try reader.readNil()
            out.append(contentsOf: nullLiteral)
        case .bool:
            out.append(contentsOf: try reader.readBool() ? trueLiteral : falseLiteral)
        case .int:
            appendInteger(try reader.readInt(), to: &out)
        case .uint:
            if reader.bytes[reader.offset] == 0xcf {
                let value = try reader.readValue()
                if case .uint(let u) = value { out.append(contentsOf: String(u).utf8) }
            } else {
                appendInteger(try reader.readInt(), to: &out)
            }
        case .float, .double:
            appendDouble(try reader.readDouble(), to: &out)
        case .string, .binary:
            let range = try reader.readStringOrBinaryRange()
            appendString(UnsafeRawBufferPointer(rebasing: reader.bytes[range]), to: &out)
        case .array:
            let count = try reader.readArrayHeader()
            out.append(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try appendValue(from: &reader, to: &out, depth: depth + 1, inlineKeys: inlineKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .map:
            let count = try reader.readMapHeader()
            out.append(UInt8(ascii: "{"))
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try appendKey(from: &reader, to: &out, depth: depth + 1, inline: inlineKeys)
                out.append(UInt8(ascii: ":"))
                try appendValue(from: &reader, to: &out, depth: depth + 1, inlineKeys: inlineKeys)
            }
            out.append(UInt8(ascii: "}"))
        case .extension:
            let (type, range) = try reader.readExtensionRange()
            if type == EventTime.extensionType, range.count == 8 {
                appendInteger(Int64(reader.bigEndian32(at: range.lowerBound)), to: &out)
            } else {
                out.append(contentsOf: nullLiteral)
            }
        }
    }

    /// Appends a map key. Ruby's generator writes `key.to_s`: strings as they are, nil as "",
    /// numbers and booleans as their text. Arrays and maps (which Ruby would `inspect`) become their JSON text.
    static func appendKey(from reader: inout MessagePackReader, to out: inout [UInt8], depth: Int, inline: Bool = false) throws {
        switch try reader.peekType() {
        case .string, .binary:
            let range = try reader.readStringOrBinaryRange()
            appendString(UnsafeRawBufferPointer(rebasing: reader.bytes[range]), to: &out)
        case .nil:
            try reader.readNil()
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "\"")])
        case _ where inline:
            try appendValue(from: &reader, to: &out, depth: depth, inlineKeys: true)
        default:
            var text: [UInt8] = []
            try appendValue(from: &reader, to: &text, depth: depth, inlineKeys: true)
            text.withUnsafeBytes { appendString($0, to: &out) }
        }
    }

    /// Appends the JSON of a whole `MessagePackValue`.
    /// A value nested deeper than the reader's `maxDepth` is written as `null`.
    public static func append(_ value: MessagePackValue, to out: inout [UInt8]) {
        let bytes = value.encoded
        let start = out.count
        MessagePackReader.withReader(bytes) { reader in
            do {
                try appendValue(from: &reader, to: &out)
            } catch {
                out.removeSubrange(start...)
                out.append(contentsOf: nullLiteral)
            }
        }
    }

    /// The JSON text of a value, as a String.
    public static func string(_ value: MessagePackValue) -> String {
        var out: [UInt8] = []
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits into a small stack buffer, then copied: no String allocation per number.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Appends a float as Fluentd's JSON formatter writes it: Oj in compat mode (the JSON library
    /// Fluentd's packages ship; `Fluent::DEFAULT_OJ_OPTIONS`, lib/fluent/env.rb). Oj writes zero of
    /// either sign as `0.0`, a whole number within Int64 as `%.1f` (`10000000000000000.0`), and any
    /// other value as Ruby's `Float#to_s`: the shortest digits that read back exactly, in plain
    /// notation while the decimal exponent is in -4...15 (`0.0001`, `1.0e-05`, `1.0e+20`).
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: nullLiteral)
            return
        }
        if value == 0 {
            out.append(contentsOf: "0.0".utf8)
            return
        }
        // Oj's `d == (double)(long long)d`: whole numbers in [-2^63, 2^63).
        if value.rounded(.towardZero) == value, value >= -0x1p63, value < 0x1p63 {
            appendInteger(Int64(value), to: &out)
            out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
            return
        }
        appendRubyFloat(value, to: &out)
    }

    /// Appends a finite float as Ruby's `Float#to_s` writes it: the shortest digits that read back
    /// exactly, in plain notation while the decimal exponent is in -4...15 (`0.0001`, `1.0e-05`,
    /// `1.0e+16`), always with a fractional part; `-0.0` keeps its sign.
    public static func appendRubyFloat(_ value: Double, to out: inout [UInt8]) {
        if value == 0 {
            out.append(contentsOf: (value.sign == .minus ? "-0.0" : "0.0").utf8)
            return
        }
        // Swift's description has the same shortest digits; only the layout differs.
        let (negative, digits, pointPosition) = shortestDigits(value)
        if negative { out.append(UInt8(ascii: "-")) }
        if pointPosition > 0 && pointPosition <= 16 {
            if digits.count <= pointPosition {
                out.append(contentsOf: digits)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: pointPosition - digits.count))
                out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
            } else {
                out.append(contentsOf: digits[..<pointPosition])
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[pointPosition...])
            }
        } else if pointPosition <= 0 && pointPosition > -4 {
            out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -pointPosition))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            out.append(UInt8(ascii: "."))
            if digits.count > 1 { out.append(contentsOf: digits[1...]) } else { out.append(UInt8(ascii: "0")) }
            let exponent = pointPosition - 1
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            if exponent.magnitude < 10 { out.append(UInt8(ascii: "0")) }
            appendInteger(Int64(exponent.magnitude), to: &out)
        }
    }

    /// The shortest round-trip decimal digits of a finite non-zero value, and where the decimal point
    /// goes: value = 0.d1d2d3... × 10^pointPosition.
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: [UInt8], pointPosition: Int) {
        var text = Array(value.description.utf8)
        let negative = text.first == UInt8(ascii: "-")
        if negative { text.removeFirst() }
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
            text.removeSubrange(e...)
        }
        var digits: [UInt8] = []
        var pointPosition = 0
        var seenPoint = false
        for byte in text {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
                continue
            }
            if !seenPoint { pointPosition += 1 }
            digits.append(byte)
        }
        // Leading zeros (0.00123) move the point left; trailing zeros are not significant.
        while digits.count > 1, digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (negative, digits, pointPosition + exponent)
    }

    /// Appends `bytes` as a JSON string literal, escaping as Ruby's generator does.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // Eight bytes at a time while none needs escaping (no control byte, quote, backslash
            // or non-ASCII byte): most log text is plain ASCII.
            while index + 8 <= count, !Self.needsEscape(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
            guard index < count else { break }
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte < 0x80 {
                index += 1
                continue
            }
            if byte >= 0x80 {
                let length = validUTF8SequenceLength(bytes, at: index)
                if length > 0 {
                    index += length
                    continue
                }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(contentsOf: replacementCharacter)
                index += 1
                runStart = index
                continue
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x0a: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0d: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0c: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
            index += 1
            runStart = index
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether `appendString` would write `bytes` other than as they are between quotes: some
    /// byte is below 0x20, a quote, a backslash or 0x80 and above.
    public static func needsEscape(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if needsEscape(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { return true }
            index += 8
        }
        while index < count {
            let byte = bytes[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte >= 0x80 { return true }
            index += 1
        }
        return false
    }

    /// Whether any byte of `word` is below 0x20, a quote, a backslash or 0x80 and above.
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let high: UInt64 = 0x8080_8080_8080_8080
        let ones: UInt64 = 0x0101_0101_0101_0101
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & high }
        let control = (word &- 0x2020_2020_2020_2020) & ~word & high
        let quote = hasZero(word ^ 0x2222_2222_2222_2222)
        let backslash = hasZero(word ^ 0x5c5c_5c5c_5c5c_5c5c)
        return (word & high) | control | quote | backslash != 0
    }

    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Length of the well-formed UTF-8 sequence starting at `index`, or 0 if it is not one.
    public static func validUTF8SequenceLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let b0 = bytes[index]
        let remaining = bytes.count - index
        func continuation(_ offset: Int) -> Bool { bytes[index + offset] & 0xc0 == 0x80 }
        switch b0 {
        case 0xc2...0xdf:
            return remaining >= 2 && continuation(1) ? 2 : 0
        case 0xe0...0xef:
            guard remaining >= 3, continuation(1), continuation(2) else { return 0 }
            let b1 = bytes[index + 1]
            if b0 == 0xe0 && b1 < 0xa0 { return 0 }  // overlong
            if b0 == 0xed && b1 >= 0xa0 { return 0 }  // surrogates
            return 3
        case 0xf0...0xf4:
            guard remaining >= 4, continuation(1), continuation(2), continuation(3) else { return 0 }
            let b1 = bytes[index + 1]
            if b0 == 0xf0 && b1 < 0x90 { return 0 }
            if b0 == 0xf4 && b1 >= 0x90 { return 0 }
            return 4
        default:
            return 0
        }
    }

    static let nullLiteral: [UInt8] = Array("null".utf8)
    static let trueLiteral: [UInt8] = Array("true".utf8)
    static let falseLiteral: [UInt8] = Array("false".utf8)
    static let replacementCharacter: [UInt8] = [0xef, 0xbf, 0xbd]
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
