import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline

/// `<filter> @type record_modifier` (fluent-plugin-record-modifier 2.x).
///
/// Per event, in this order: each `<record>` field is set (a value without `${` as written; a
/// value that is exactly one `${code}` becomes what the code gives, type and all; other values
/// are text with each `${code}` replaced by Ruby's `to_s` of it); then `remove_keys` are deleted
/// (record accessor paths allowed) or only `whitelist_keys` (and the `<record>` keys) are kept;
/// then each `<replace>` rewrites a string field with `gsub(expression, replace)`; then
/// `char_encoding` applies. The code in `${...}` is what `RecordModifierExpression` evaluates:
/// the plugin runs Ruby, Runnel does not, so `prepare_value` is rejected.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `<record>` | section of `key value` | none |
/// | `remove_keys` | array of names or `$.record.accessor` paths | none |
/// | `whitelist_keys` | comma-separated names | none |
/// | `<replace>` `key`, `expression`, `replace` | string, regexp, string | required |
/// | `char_encoding` | `from` or `from:to` (utf-8, ascii, iso-8859-1, euc-jp, shift_jis, windows-1252, utf-16) | none |
/// | `prepare_value` | Ruby | rejected |
public struct RecordModifierFilter: FilterPlugin {
    enum Value: Sendable {
        case fixed(String)
        case single(RecordModifierExpression)
        case interpolated([Part])
    }

    enum Part: Sendable {
        case text(String)
        case code(RecordModifierExpression)
    }

    struct Replace: Sendable {
        var key: String
        var expression: RubyRegex
        var replacement: String
    }

    let fields: [(key: String, value: Value)]
    let removeKeys: [RecordAccessor]?
    let whitelistKeys: [String]?
    let replaces: [Replace]
    let encoding: (from: String.Encoding, to: String.Encoding?)?
    let logger: Logger
    /// One warning a minute per field whose code raises.
    let problems = LogRateLimiter(interval: 60, suppressedKey: "record_modifier.suppressed")

    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try RecordModifierFilter(context.element, logger: context.logger)
    }

    init(_ element: ConfigElement, logger: Logger) throws {
        if element.has("prepare_value") {
            throw element.rejected(
                "prepare_value",
                "it is Ruby code run at start-up, and Runnel runs no Ruby; compute the value in <record> with ${...} or in the configuration with \"#{...}\"")
        }
        var fields: [(key: String, value: Value)] = []
        for section in element.elements(named: "record") {
            for parameter in section.parameters {
                section.markUsed(parameter.key)
                let value: Value
                do {
                    value = try RecordModifierFilter.parseValue(parameter.value)
                } catch {
                    throw ConfigError(.invalidValue, at: parameter.location, "\(element.title): <record> \(parameter.key): \(error)")
                }
                if let index = fields.firstIndex(where: { $0.key == parameter.key }) {
                    fields[index].value = value
                } else {
                    fields.append((parameter.key, value))
                }
            }
        }
        self.fields = fields
        let remove = try element.array("remove_keys")
        let whitelist = element.string("whitelist_keys")
        if remove != nil, whitelist != nil {
            throw element.rejected("whitelist_keys", "remove_keys and whitelist_keys are exclusive with each other.")
        }
        removeKeys = try remove.map { keys in
            try keys.map { key in
                guard let accessor = RecordAccessor(key) else { throw element.invalid("remove_keys", key, expected: "field names or $.record.accessor paths") }
                return accessor
            }
        }
        whitelistKeys = whitelist.map { text in
            var keys: [String] = []
            for key in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) + fields.map(\.key)
            where !keys.contains(key) {
                keys.append(key)
            }
            return keys
        }
        replaces = try element.elements(named: "replace").map { section in
            let written = try section.requiredString("expression")
            var pattern = written
            if written.count >= 2, written.hasPrefix("/"), written.hasSuffix("/") {
                pattern = String(written.dropFirst().dropLast())
            } else {
                logger.warning(
                    "record_modifier: write the <replace> expression as /.../",
                    metadata: ["expression": "\(written)", "config.location": "\(section.location)"])
            }
            let regex: RubyRegex
            do { regex = try RubyRegex(pattern: pattern, flags: []) } catch {
                throw section.invalid("expression", written, expected: "a valid regular expression (\(error))")
            }
            return Replace(key: try section.requiredString("key"), expression: regex, replacement: try section.requiredString("replace"))
        }
        if let written = element.string("char_encoding") {
            let names = written.split(separator: ":", maxSplits: 1).map(String.init)
            guard let from = names.first.flatMap(RecordModifierFilter.encoding) else {
                throw element.invalid(
                    "char_encoding", written, expected: "an encoding name or from:to, among utf-8, ascii, iso-8859-1, euc-jp, shift_jis, windows-1252, utf-16")
            }
            var to: String.Encoding?
            if names.count == 2 {
                guard let found = RecordModifierFilter.encoding(names[1]) else {
                    throw element.invalid("char_encoding", written, expected: "from:to among utf-8, ascii, iso-8859-1, euc-jp, shift_jis, windows-1252, utf-16")
                }
                to = found
            }
            encoding = (from, to)
        } else {
            encoding = nil
        }
        self.logger = logger
    }

    static func encoding(_ name: String) -> String.Encoding? {
        switch name.lowercased() {
        case "utf-8", "utf8": return .utf8
        case "ascii", "us-ascii", "ascii-8bit", "binary": return .ascii
        case "iso-8859-1", "iso8859-1", "latin1": return .isoLatin1
        case "euc-jp", "eucjp": return .japaneseEUC
        case "shift_jis", "sjis", "windows-31j", "cp932": return .shiftJIS
        case "windows-1252", "cp1252": return .windowsCP1252
        case "utf-16", "utf-16le", "utf-16be": return .utf16
        default: return nil
        }
    }

    /// The plugin's `parse_parameter`: one `${...}` spanning the value keeps its type.
    static func parseValue(_ text: String) throws -> Value {
        guard text.contains("${") else { return .fixed(text) }
        var parts: [Part] = []
        var rest = text[...]
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw RecordModifierExpression.Unsupported(code: String(rest[open.upperBound...]))
            }
            parts.append(.code(try RecordModifierExpression.parse(String(rest[open.upperBound..<close]))))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        if parts.count == 1, case .code(let expression) = parts[0] { return .single(expression) }
        return .interpolated(parts)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        // Ruby's `tag.split('.')`: empty parts are kept, except at the end.
        var tagParts = stream.tag.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        while tagParts.last?.isEmpty == true { tagParts.removeLast() }
        var builder = EventStreamBuilder(tag: stream.tag, capacity: stream.entries.count + stream.count * 32)
        try stream.forEachEntry { time, reader in
            let record = try reader.readValue()
            if let modified = modify(record, tag: stream.tag, tagParts: tagParts, time: time) {
                builder.append(time: time, record: modified)
            }
        }
        return [builder.build()]
    }

    /// The modified record, or nil when its code raised (Fluentd sends it to the error stream).
    func modify(_ original: MessagePackValue, tag: String, tagParts: [String], time: EventTime) -> MessagePackValue? {
        var pairs = original.mapValue ?? []
        for field in fields {
            do {
                pairs.set(field.key, try expand(field.value, tag: tag, tagParts: tagParts, time: time, record: .map(pairs)))
            } catch {
                problems.log(
                    logger, level: .warning,
                    "record_modifier: ${...} code raised for this record (a missing nested key, or + of a string and a number); event dropped",
                    reason: field.key, metadata: ["record.key": "\(field.key)", "tag": "\(tag)"])
                return nil
            }
        }
        var record = MessagePackValue.map(pairs)
        if let removeKeys {
            for accessor in removeKeys { record = RecordModifierFilter.removing(accessor.path, from: record) }
        } else if let whitelistKeys {
            record = .map(whitelistKeys.compactMap { key in pairs[key].map { MessagePackPair(key: .string(key), value: $0) } })
        }
        if !replaces.isEmpty, case .map(var current) = record {
            for replace in replaces {
                guard let text = RecordValue.text(current[replace.key]), replace.expression.matches(text) else { continue }
                current.set(replace.key, .string(replace.expression.replacingAll(in: text, with: replace.replacement)))
            }
            record = .map(current)
        }
        if let encoding { record = RecordModifierFilter.converting(record, from: encoding.from, to: encoding.to) }
        return record
    }

    func expand(_ value: Value, tag: String, tagParts: [String], time: EventTime, record: MessagePackValue) throws -> MessagePackValue {
        switch value {
        case .fixed(let text): return .string(text)
        case .single(let expression): return try expression.evaluate(tag: tag, tagParts: tagParts, time: time, record: record)
        case .interpolated(let parts):
            var out = ""
            for part in parts {
                switch part {
                case .text(let text): out += text
                case .code(let expression): out += RecordValue.toS(try expression.evaluate(tag: tag, tagParts: tagParts, time: time, record: record))
                }
            }
            return .string(out)
        }
    }

    static func removing(_ path: [String], from value: MessagePackValue) -> MessagePackValue {
        guard let first = path.first, case .map(var pairs) = value, let index = pairs.firstIndex(where: { $0.key.stringValue == first }) else { return value }
        if path.count == 1 {
            pairs.remove(at: index)
        } else {
            pairs[index].value = removing(Array(path.dropFirst()), from: pairs[index].value)
        }
        return .map(pairs)
    }

    /// `char_encoding`: strings (and binary) in every level of the record read as `from`; with
    /// `to`, converted (invalid or unmappable characters become `?`). UTF-8 results are strings,
    /// others binary (MessagePack strings are UTF-8).
    static func converting(_ value: MessagePackValue, from: String.Encoding, to: String.Encoding?) -> MessagePackValue {
        switch value {
        case .string, .binary:
            let bytes: [UInt8]
            if case .string(let s) = value { bytes = Array(s.utf8) } else if case .binary(let b) = value { bytes = b } else { return value }
            let text = String(data: Data(bytes), encoding: from) ?? String(bytes.map { $0 < 0x80 ? Character(Unicode.Scalar($0)) : "?" })
            guard let to, to != .utf8 else { return .string(text) }
            return .binary(Array(text.data(using: to, allowLossyConversion: true) ?? Data()))
        case .array(let elements): return .array(elements.map { converting($0, from: from, to: to) })
        case .map(let pairs): return .map(pairs.map { MessagePackPair(key: $0.key, value: converting($0.value, from: from, to: to)) })
        default: return value
        }
    }
}
