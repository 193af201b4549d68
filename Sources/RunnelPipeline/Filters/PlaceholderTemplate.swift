import Foundation
import RunnelCore

/// What `${...}` placeholders refer to for one event.
struct PlaceholderValues {
    var tag: String
    var tagParts: [String]
    var hostname: String
    var time: EventTime
    var record: MessagePackValue

    /// The value a placeholder names, or nil if it names nothing (Fluentd then expands it to nothing).
    func value(of placeholder: String) -> MessagePackValue? {
        switch placeholder {
        case "tag": return .string(tag)
        case "hostname": return .string(hostname)
        case "time": return .string(PlaceholderValues.rubyTime(time))
        default: break
        }
        if placeholder.hasPrefix("record[") {
            let inner = placeholder.dropFirst("record[".count)
            guard inner.hasSuffix("]"), inner.count >= 3, let quote = inner.first, quote == "\"" || quote == "'" else { return nil }
            let key = inner.dropFirst().dropLast(2)
            guard inner.dropLast().last == quote else { return nil }
            return record[String(key)]
        }
        for (name, join) in [("tag_parts", 0), ("tag_prefix", 1), ("tag_suffix", 2)] where placeholder.hasPrefix(name + "[") && placeholder.hasSuffix("]") {
            guard let n = Int(placeholder.dropFirst(name.count + 1).dropLast()) else { return nil }
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
        var seconds = time_t(time.seconds)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let offset = parts.tm_gmtoff
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            + (offset < 0 ? "-" : "+") + String(format: "%02d%02d", Int(abs(offset) / 3600), Int(abs(offset) % 3600 / 60))
    }
}

/// A `<record>` value split into text and `${...}` placeholders once, at start-up.
struct PlaceholderTemplate: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        case placeholder(String)
    }

    let parts: [Part]

    init(_ text: String) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            parts.append(.placeholder(String(rest[open.upperBound..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    func expand(_ values: PlaceholderValues, autoTypecast: Bool, unknown: (String) -> Void) -> MessagePackValue {
        if autoTypecast, parts.count == 1, case .placeholder(let name) = parts[0] {
            guard let value = values.value(of: name) else {
                unknown(name)
                return .nil
            }
            return value
        }
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .placeholder(let name):
                if let value = values.value(of: name) {
                    out += PlaceholderTemplate.rubyString(value)
                } else {
                    unknown(name)
                }
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
