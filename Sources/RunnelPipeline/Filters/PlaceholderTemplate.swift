import Foundation
import RunnelCore

/// What `${...}` placeholders refer to for one event: the table Fluentd's
/// `PlaceholderExpander#prepare_placeholders` builds (filter_record_transformer.rb), looked up by
/// the placeholder's exact text.
struct PlaceholderValues {
    var tag: String
    var tagParts: [String]
    var hostname: String
    var time: EventTime
    var record: MessagePackValue

    /// Ruby's `tag.split('.')`: empty parts are kept, except at the end.
    static func tagParts(_ tag: String) -> [String] {
        var parts = tag.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        while parts.last?.isEmpty == true { parts.removeLast() }
        return parts
    }

    /// The value a placeholder (the text between `${` and `}`) names, or nil if the table has no
    /// such entry (Fluentd then expands it to nil, with a warning).
    func value(of placeholder: String) -> MessagePackValue? {
        switch placeholder {
        case "tag": return .string(tag)
        case "hostname": return .string(hostname)
        case "time": return .string(PlaceholderValues.rubyTime(time))
        default: break
        }
        // `${record["key"]}`, double quotes only, one entry per top-level key.
        if placeholder.hasPrefix("record[\""), placeholder.hasSuffix("\"]"), placeholder.count >= 10 {
            let key = String(placeholder.dropFirst(8).dropLast(2))
            return record[key]
        }
        for (name, join) in [("tag_parts", 0), ("tag_prefix", 1), ("tag_suffix", 2)]
        where placeholder.hasPrefix(name + "[") && placeholder.hasSuffix("]") {
            // Entries exist for 0..<size and -size ..< 0 written as Ruby prints integers.
            let inner = String(placeholder.dropFirst(name.count + 1).dropLast())
            guard let n = Int(inner), String(n) == inner else { return nil }
            let count = tagParts.count
            let index = n < 0 ? count + n : n
            guard index >= 0, index < count else { return nil }
            switch join {
            case 0: return .string(tagParts[index])
            case 1: return .string(tagParts[0...index].joined(separator: "."))
            default: return .string(tagParts[index...].joined(separator: "."))
            }
        }
        return nil
    }

    /// Ruby's `Time#to_s` in local time: `2017-11-28 11:43:13 +0900`.
    static func rubyTime(_ time: EventTime) -> String {
        rubyTimeFormatter.string(time)
    }

    static let rubyTimeFormatter = TimeFormatter(format: "%Y-%m-%d %H:%M:%S %z", zone: .local)
}

/// A `<record>` value split once, at start-up, into text and the placeholders Fluentd's
/// expander replaces: `/(\${[^}]+}|__[A-Z_]+__)/`. The `__NAME__` form is matched but has no
/// entry in Fluentd v1's table, so it always expands to nil.
struct PlaceholderTemplate: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        /// The text between `${` and `}`.
        case placeholder(String)
        /// `__NAME__`: always unknown.
        case legacy(String)
    }

    let parts: [Part]

    init(_ text: String) {
        let bytes = Array(text.utf8)
        var parts: [Part] = []
        var textStart = 0
        var i = 0
        func flushText(upTo end: Int) {
            if end > textStart { parts.append(.text(String(decoding: bytes[textStart..<end], as: UTF8.self))) }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{"),
                let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")), close > i + 2
            {
                flushText(upTo: i)
                parts.append(.placeholder(String(decoding: bytes[(i + 2)..<close], as: UTF8.self)))
                i = close + 1
                textStart = i
                continue
            }
            if let end = PlaceholderTemplate.legacyEnd(bytes, at: i) {
                flushText(upTo: i)
                parts.append(.legacy(String(decoding: bytes[i..<end], as: UTF8.self)))
                i = end
                textStart = i
                continue
            }
            i += 1
        }
        flushText(upTo: bytes.count)
        self.parts = parts
    }

    /// Where a greedy `__[A-Z_]+__` starting at `i` ends, if it matches there.
    static func legacyEnd(_ bytes: [UInt8], at i: Int) -> Int? {
        guard i + 4 < bytes.count, bytes[i] == UInt8(ascii: "_"), bytes[i + 1] == UInt8(ascii: "_") else { return nil }
        var run = i + 2
        while run < bytes.count, (bytes[run] >= UInt8(ascii: "A") && bytes[run] <= UInt8(ascii: "Z")) || bytes[run] == UInt8(ascii: "_") {
            run += 1
        }
        var end = run
        while end - i >= 5 {
            if bytes[end - 1] == UInt8(ascii: "_"), bytes[end - 2] == UInt8(ascii: "_") { return end }
            end -= 1
        }
        return nil
    }

    var hasPlaceholders: Bool { parts.contains { if case .text = $0 { return false } else { return true } } }

    /// Fluentd's `PlaceholderExpander#expand`: with `autoTypecast` (and not `forceString`, which
    /// hash keys use) a value that is exactly one placeholder becomes what it names, type and all;
    /// otherwise each placeholder is replaced by Ruby's `to_s` of its value.
    func expand(
        _ values: PlaceholderValues, autoTypecast: Bool, forceString: Bool = false,
        unknown: (String) -> Void
    ) -> MessagePackValue {
        if autoTypecast, !forceString, parts.count == 1 {
            switch parts[0] {
            case .placeholder(let name):
                guard let value = values.value(of: name) else {
                    unknown("${\(name)}")
                    return .nil
                }
                return value
            case .legacy(let name):
                unknown(name)
                return .nil
            case .text: break
            }
        }
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .placeholder(let name):
                if let value = values.value(of: name) {
                    out += PlaceholderTemplate.rubyString(value)
                } else {
                    unknown("${\(name)}")
                }
            case .legacy(let name): unknown(name)
            }
        }
        return .string(out)
    }

    /// Ruby's `to_s` of a value, as string interpolation writes it.
    static func rubyString(_ value: MessagePackValue) -> String {
        switch value {
        case .nil: return ""
        case .string(let s): return s
        case .binary(let b): return String(decoding: b, as: UTF8.self)
        default: return RubyInspect.string(value)
        }
    }
}
