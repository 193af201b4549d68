import RunnelCore
import RunnelFormat

/// Ruby's view of record values, as the plugins ported here read them.
enum RecordValue {
    /// Ruby's `to_s`: strings as they are, nil empty, numbers in decimal, hashes and arrays inspected.
    static func toS(_ value: MessagePackValue?) -> String { RubyText.toS(value) }

    /// The text of a string field, nil for anything else (Ruby methods that need a String).
    static func text(_ value: MessagePackValue?) -> String? {
        switch value {
        case .string(let s): return s
        case .binary(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

extension Array where Element == MessagePackPair {
    /// Ruby's `hash[key] = value`: an existing key keeps its place.
    mutating func set(_ key: String, _ value: MessagePackValue) {
        if let index = firstIndex(where: { $0.key.stringValue == key }) {
            self[index].value = value
        } else {
            append(MessagePackPair(key: .string(key), value: value))
        }
    }

    /// Ruby's `hash.delete(key)`.
    mutating func remove(_ key: String) {
        removeAll { $0.key.stringValue == key }
    }

    func has(_ key: String) -> Bool { contains { $0.key.stringValue == key } }

    subscript(key: String) -> MessagePackValue? {
        first { $0.key.stringValue == key }?.value
    }
}
