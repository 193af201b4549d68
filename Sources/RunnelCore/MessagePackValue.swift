/// A decoded MessagePack value, for the places that need to look inside a record
/// (filters, partition keys, parsers). Hot paths walk the bytes with `MessagePackReader` instead.
///
/// Maps keep their order, as Fluentd's records do.
public enum MessagePackValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    case map([MessagePackPair])
    case `extension`(type: Int8, data: [UInt8])

    /// The value of `key` in a map with string keys (the first such entry), or nil.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs {
            if case .string(let k) = pair.key, k == key { return pair.value }
            if case .binary(let k) = pair.key, k.elementsEqual(key.utf8) { return pair.value }
        }
        return nil
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .binary(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    public var mapValue: [MessagePackPair]? {
        if case .map(let pairs) = self { return pairs }
        return nil
    }

    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// Encodes this value to MessagePack bytes.
    public var encoded: [UInt8] {
        var writer = MessagePackWriter()
        writer.write(self)
        return writer.bytes
    }

    /// A map from string keys, in the given order.
    public static func record(_ pairs: KeyValuePairs<String, MessagePackValue>) -> MessagePackValue {
        .map(pairs.map { MessagePackPair(key: .string($0.key), value: $0.value) })
    }

    /// The same from fields built at run time.
    public static func record(_ fields: [(String, MessagePackValue)]) -> MessagePackValue {
        .map(fields.map { MessagePackPair(key: .string($0.0), value: $0.1) })
    }

    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.uint(a), .uint(b)): return a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): return a >= 0 && UInt64(a) == b
        case let (.float(a), .float(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): return a == b
        case let (.binary(a), .binary(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.map(a), .map(b)): return a == b
        case let (.extension(t1, d1), .extension(t2, d2)): return t1 == t2 && d1 == d2
        default: return false
        }
    }
}

/// One key/value entry of a MessagePack map.
public struct MessagePackPair: Sendable, Equatable {
    public var key: MessagePackValue
    public var value: MessagePackValue

    public init(key: MessagePackValue, value: MessagePackValue) {
        self.key = key
        self.value = value
    }
}

extension MessagePackValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = value >= 0 ? .uint(UInt64(value)) : .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .nil }
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
}
