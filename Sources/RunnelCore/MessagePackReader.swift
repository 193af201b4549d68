/// Walks MessagePack bytes without building objects: the decoder of the hot paths.
///
/// The reader borrows its bytes, so it lives only inside `withReader` (or a caller's own
/// `withUnsafeBytes`). Every read checks bounds and throws `MessagePackError` instead of
/// trapping, so hostile input costs an error, never a crash.
public struct MessagePackReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int
    /// Deepest array/map nesting `skipValue` and `readValue` accept.
    public var maxDepth: Int = 64
    /// `readValue`: a str that is not valid UTF-8 becomes `.binary` (its bytes as sent) instead
    /// of an error. Peers put random bytes in str: Fluent Bit's in_forward sends its HELO nonce
    /// and auth salt that way.
    public var invalidStringsAsBinary = false

    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Runs `body` with a reader over `bytes`.
    public static func withReader<R>(
        _ bytes: [UInt8], _ body: (inout MessagePackReader) throws -> R
    ) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(bytes: raw)
            return try body(&reader)
        }
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { bytes.count - offset }

    // MARK: Primitive access

    @inline(__always)
    func byte(at index: Int) throws -> UInt8 {
        guard index < bytes.count else { throw MessagePackError.truncated(offset: index) }
        return bytes[index]
    }

    @inline(__always)
    mutating func take(_ count: Int) throws -> Int {
        guard count >= 0, count <= bytes.count - offset else { throw MessagePackError.truncated(offset: offset) }
        let start = offset
        offset += count
        return start
    }

    /// Big-endian integers at an index a checked read already vouched for (inside a returned
    /// range); these do not check bounds themselves.
    @inline(__always)
    public func bigEndian16(at index: Int) -> UInt16 {
        UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    @inline(__always)
    public func bigEndian32(at index: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
    }

    @inline(__always)
    public func bigEndian64(at index: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
    }

    /// The type of the next value, without consuming it.
    public func peekType() throws -> MessagePackType {
        let b = try byte(at: offset)
        switch b {
        case 0x00...0x7f, 0xcc...0xcf: return .uint
        case 0xe0...0xff, 0xd0...0xd3: return .int
        case 0x80...0x8f, 0xde, 0xdf: return .map
        case 0x90...0x9f, 0xdc, 0xdd: return .array
        case 0xa0...0xbf, 0xd9...0xdb: return .string
        case 0xc0: return .nil
        case 0xc2, 0xc3: return .bool
        case 0xc4...0xc6: return .binary
        case 0xc7...0xc9, 0xd4...0xd8: return .extension
        case 0xca: return .float
        case 0xcb: return .double
        default: throw MessagePackError.invalidByte(b, offset: offset)
        }
    }

    // MARK: Scalars

    public mutating func readNil() throws {
        guard try byte(at: offset) == 0xc0 else { throw unexpected("nil") }
        offset += 1
    }

    /// Consumes a nil if one is next; returns whether it did.
    public mutating func readNilIfPresent() throws -> Bool {
        if try byte(at: offset) == 0xc0 {
            offset += 1
            return true
        }
        return false
    }

    public mutating func readBool() throws -> Bool {
        switch try byte(at: offset) {
        case 0xc2: offset += 1; return false
        case 0xc3: offset += 1; return true
        default: throw unexpected("boolean")
        }
    }

    /// Reads any integer that fits in Int64.
    public mutating func readInt() throws -> Int64 {
        let start = offset
        let b = try byte(at: offset)
        switch b {
        case 0x00...0x7f: offset += 1; return Int64(b)
        case 0xe0...0xff: offset += 1; return Int64(Int8(bitPattern: b))
        case 0xcc: let i = try take(2); return Int64(bytes[i + 1])
        case 0xcd: let i = try take(3); return Int64(bigEndian16(at: i + 1))
        case 0xce: let i = try take(5); return Int64(bigEndian32(at: i + 1))
        case 0xcf:
            let i = try take(9)
            let v = bigEndian64(at: i + 1)
            guard v <= UInt64(Int64.max) else { offset = start; throw MessagePackError.integerOverflow(offset: start) }
            return Int64(v)
        case 0xd0: let i = try take(2); return Int64(Int8(bitPattern: bytes[i + 1]))
        case 0xd1: let i = try take(3); return Int64(Int16(bitPattern: bigEndian16(at: i + 1)))
        case 0xd2: let i = try take(5); return Int64(Int32(bitPattern: bigEndian32(at: i + 1)))
        case 0xd3: let i = try take(9); return Int64(bitPattern: bigEndian64(at: i + 1))
        default: throw unexpected("integer")
        }
    }

    /// Reads a float32, float64 or integer as a Double.
    public mutating func readDouble() throws -> Double {
        switch try byte(at: offset) {
        case 0xca: let i = try take(5); return Double(Float(bitPattern: bigEndian32(at: i + 1)))
        case 0xcb: let i = try take(9); return Double(bitPattern: bigEndian64(at: i + 1))
        case 0xcf:
            let i = try take(9)
            return Double(bigEndian64(at: i + 1))
        default:
            do { return Double(try readInt()) } catch let error as MessagePackError where !error.needsMoreInput {
                throw unexpected("number")
            }
        }
    }

    /// Reads the header of a str or bin and returns the byte range of its payload.
    public mutating func readStringOrBinaryRange() throws -> Range<Int> {
        let b = try byte(at: offset)
        let length: Int
        let headerSize: Int
        switch b {
        case 0xa0...0xbf: length = Int(b & 0x1f); headerSize = 1
        case 0xd9, 0xc4: length = Int(try byte(at: offset + 1)); headerSize = 2
        case 0xda, 0xc5:
            guard remaining >= 3 else { throw MessagePackError.truncated(offset: offset) }
            length = Int(bigEndian16(at: offset + 1)); headerSize = 3
        case 0xdb, 0xc6:
            guard remaining >= 5 else { throw MessagePackError.truncated(offset: offset) }
            length = Int(bigEndian32(at: offset + 1)); headerSize = 5
        default: throw unexpected("string")
        }
        guard remaining >= headerSize + length else { throw MessagePackError.truncated(offset: offset) }
        let start = offset + headerSize
        offset = start + length
        return start..<(start + length)
    }

    /// Reads a str (or bin) as a String; invalid UTF-8 is an error.
    public mutating func readString() throws -> String {
        let start = offset
        let range = try readStringOrBinaryRange()
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw MessagePackError.invalidUTF8(offset: start)
        }
        return string
    }

    public mutating func readBinary() throws -> [UInt8] {
        let range = try readStringOrBinaryRange()
        return Array(bytes[range])
    }

    public mutating func readArrayHeader() throws -> Int {
        let b = try byte(at: offset)
        switch b {
        case 0x90...0x9f: offset += 1; return Int(b & 0x0f)
        case 0xdc: let i = try take(3); return Int(bigEndian16(at: i + 1))
        case 0xdd: let i = try take(5); return Int(bigEndian32(at: i + 1))
        default: throw unexpected("array")
        }
    }

    public mutating func readMapHeader() throws -> Int {
        let b = try byte(at: offset)
        switch b {
        case 0x80...0x8f: offset += 1; return Int(b & 0x0f)
        case 0xde: let i = try take(3); return Int(bigEndian16(at: i + 1))
        case 0xdf: let i = try take(5); return Int(bigEndian32(at: i + 1))
        default: throw unexpected("map")
        }
    }

    /// Reads an extension's type and the byte range of its payload.
    public mutating func readExtensionRange() throws -> (type: Int8, range: Range<Int>) {
        let b = try byte(at: offset)
        let length: Int
        let headerSize: Int
        switch b {
        case 0xd4: length = 1; headerSize = 2
        case 0xd5: length = 2; headerSize = 2
        case 0xd6: length = 4; headerSize = 2
        case 0xd7: length = 8; headerSize = 2
        case 0xd8: length = 16; headerSize = 2
        case 0xc7: length = Int(try byte(at: offset + 1)); headerSize = 3
        case 0xc8:
            guard remaining >= 4 else { throw MessagePackError.truncated(offset: offset) }
            length = Int(bigEndian16(at: offset + 1)); headerSize = 4
        case 0xc9:
            guard remaining >= 6 else { throw MessagePackError.truncated(offset: offset) }
            length = Int(bigEndian32(at: offset + 1)); headerSize = 6
        default: throw unexpected("extension")
        }
        guard remaining >= headerSize + length else { throw MessagePackError.truncated(offset: offset) }
        let type = Int8(bitPattern: bytes[offset + headerSize - 1])
        let start = offset + headerSize
        offset = start + length
        return (type, start..<(start + length))
    }

    /// Reads an event time as Fluentd accepts it: EventTime ext (type 0), an integer, or a float.
    public mutating func readEventTime() throws -> EventTime {
        let b = try byte(at: offset)
        switch b {
        case 0xd7, 0xc7:
            let start = offset
            let (type, range) = try readExtensionRange()
            guard type == EventTime.extensionType, range.count == 8 else {
                offset = start
                throw unexpected("EventTime (ext type 0, 8 bytes)")
            }
            return EventTime(seconds: bigEndian32(at: range.lowerBound), nanoseconds: bigEndian32(at: range.lowerBound + 4))
        case 0xca, 0xcb:
            return EventTime(timeInterval: try readDouble())
        default:
            let start = offset
            let value: Int64
            do { value = try readInt() } catch let error as MessagePackError where !error.needsMoreInput {
                throw unexpected("event time")
            }
            guard value >= 0, value <= Int64(UInt32.max) else {
                offset = start
                throw MessagePackError.integerOverflow(offset: start)
            }
            return EventTime(seconds: UInt32(value))
        }
    }

    // MARK: Whole values

    /// Skips one complete value (with everything nested in it), checking bounds and depth.
    public mutating func skipValue() throws {
        var pending = 1  // values still to skip at this level and below
        var depth = 0
        var stack: [Int] = []  // pending counts of enclosing containers
        while true {
            while pending == 0 {
                guard let outer = stack.popLast() else { return }
                pending = outer
                depth -= 1
            }
            pending -= 1
            let b = try byte(at: offset)
            var children = 0
            switch b {
            case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: offset += 1
            case 0x80...0x8f: offset += 1; children = Int(b & 0x0f) * 2
            case 0x90...0x9f: offset += 1; children = Int(b & 0x0f)
            case 0xa0...0xbf, 0xd9...0xdb, 0xc4...0xc6: _ = try readStringOrBinaryRange()
            case 0xcc, 0xd0: _ = try take(2)
            case 0xcd, 0xd1: _ = try take(3)
            case 0xce, 0xd2, 0xca: _ = try take(5)
            case 0xcf, 0xd3, 0xcb: _ = try take(9)
            case 0xc7...0xc9, 0xd4...0xd8: _ = try readExtensionRange()
            case 0xdc, 0xdd: children = try readArrayHeader()
            case 0xde, 0xdf: children = try readMapHeader() * 2
            default: throw MessagePackError.invalidByte(b, offset: offset)
            }
            if children > 0 {
                // Each child takes at least one byte: a count beyond the input is truncation, not a huge loop.
                guard children <= remaining else { throw MessagePackError.truncated(offset: offset) }
                depth += 1
                guard depth <= maxDepth else { throw MessagePackError.nestingTooDeep(limit: maxDepth, offset: offset) }
                stack.append(pending)
                pending = children
            }
        }
    }

    /// Skips one value and returns the byte range it occupied.
    public mutating func skipValueRange() throws -> Range<Int> {
        let start = offset
        try skipValue()
        return start..<offset
    }

    /// Decodes one value into a `MessagePackValue` tree.
    public mutating func readValue() throws -> MessagePackValue {
        try readValue(depth: 0)
    }

    mutating func readValue(depth: Int) throws -> MessagePackValue {
        guard depth <= maxDepth else { throw MessagePackError.nestingTooDeep(limit: maxDepth, offset: offset) }
        switch try peekType() {
        case .nil: offset += 1; return .nil
        case .bool: return .bool(try readBool())
        case .int: return .int(try readInt())
        case .uint:
            if bytes[offset] == 0xcf {
                let i = try take(9)
                return .uint(bigEndian64(at: i + 1))
            }
            return .uint(UInt64(try readInt()))
        case .float:
            let i = try take(5)
            return .float(Float(bitPattern: bigEndian32(at: i + 1)))
        case .double: return .double(try readDouble())
        case .string:
            guard invalidStringsAsBinary else { return .string(try readString()) }
            let range = try readStringOrBinaryRange()
            let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
            return String(validating: slice, as: UTF8.self).map(MessagePackValue.string) ?? .binary(Array(slice))
        case .binary: return .binary(try readBinary())
        case .array:
            let count = try readArrayHeader()
            guard count <= remaining else { throw MessagePackError.truncated(offset: offset) }
            var elements: [MessagePackValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try readValue(depth: depth + 1)) }
            return .array(elements)
        case .map:
            let count = try readMapHeader()
            // Each pair takes at least two bytes: a count beyond that is truncation, not an allocation.
            guard count <= remaining / 2 else { throw MessagePackError.truncated(offset: offset) }
            var pairs: [MessagePackPair] = []
            pairs.reserveCapacity(count)
            for _ in 0..<count {
                let key = try readValue(depth: depth + 1)
                let value = try readValue(depth: depth + 1)
                pairs.append(MessagePackPair(key: key, value: value))
            }
            return .map(pairs)
        case .extension:
            let (type, range) = try readExtensionRange()
            return .extension(type: type, data: Array(bytes[range]))
        }
    }

    func unexpected(_ expected: String) -> MessagePackError {
        let found = (try? peekType()) ?? .nil
        return .unexpectedType(expected: expected, found: found, offset: offset)
    }
}

extension MessagePackValue {
    /// Decodes exactly one value from `bytes`; trailing bytes are an error.
    public init(decoding bytes: [UInt8]) throws {
        self = try MessagePackReader.withReader(bytes) { reader in
            let value = try reader.readValue()
            guard reader.isAtEnd else {
                throw MessagePackError.invalidByte(reader.bytes[reader.offset], offset: reader.offset)
            }
            return value
        }
    }
}
