/// Why a MessagePack byte sequence could not be read.
public enum MessagePackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ends before the value does: more bytes may complete it.
    case truncated(offset: Int)
    /// 0xc1 is never used by MessagePack.
    case invalidByte(UInt8, offset: Int)
    /// A value of another type stood where this one was expected.
    case unexpectedType(expected: String, found: MessagePackType, offset: Int)
    /// Arrays and maps nested deeper than the reader allows.
    case nestingTooDeep(limit: Int, offset: Int)
    /// A declared length larger than the reader allows.
    case lengthTooLarge(length: Int, limit: Int, offset: Int)
    /// A string that is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// An integer that does not fit the requested type.
    case integerOverflow(offset: Int)

    /// True when more input could complete the value; a stream decoder then waits for more bytes.
    public var needsMoreInput: Bool {
        if case .truncated = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .truncated(let offset): return "MessagePack input ends inside a value (at byte \(offset))"
        case .invalidByte(let byte, let offset):
            return "MessagePack byte 0x\(String(byte, radix: 16)) at \(offset) is not a valid type"
        case .unexpectedType(let expected, let found, let offset):
            return "expected \(expected) but found \(found) at byte \(offset)"
        case .nestingTooDeep(let limit, let offset): return "MessagePack nesting deeper than \(limit) at byte \(offset)"
        case .lengthTooLarge(let length, let limit, let offset):
            return "MessagePack length \(length) at byte \(offset) is over the limit of \(limit)"
        case .invalidUTF8(let offset): return "MessagePack string at byte \(offset) is not valid UTF-8"
        case .integerOverflow(let offset): return "MessagePack integer at byte \(offset) does not fit"
        }
    }
}

/// The kind of a MessagePack value, read from its first byte.
public enum MessagePackType: Sendable, Equatable, CustomStringConvertible {
    case `nil`, bool, int, uint, float, double, string, binary, array, map, `extension`

    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "boolean"
        case .int: return "negative integer"
        case .uint: return "integer"
        case .float: return "float32"
        case .double: return "float64"
        case .string: return "string"
        case .binary: return "binary"
        case .array: return "array"
        case .map: return "map"
        case .extension: return "extension"
        }
    }
}
