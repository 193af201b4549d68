import Foundation
import Logging
import RunnelConfig
import RunnelCore

/// `@type record_transformer` (Fluentd's filter_record_transformer, without Ruby).
///
/// Values in `<record>` may hold placeholders, expanded per event as Fluentd's
/// PlaceholderExpander does: `${tag}`, `${tag_parts[N]}`, `${tag_prefix[N]}`, `${tag_suffix[N]}`
/// (N may be negative), `${hostname}`, `${time}` (Ruby's `Time#to_s`, local time) and
/// `${record["key"]}`. An unknown placeholder expands to nothing, with a warning. With
/// `auto_typecast true` a value that is exactly one placeholder keeps the type of what it names.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `<record>` | section of `key value` | none |
/// | `remove_keys` | array | none |
/// | `keep_keys` | array (with `renew_record`) | none |
/// | `renew_record` | bool | false |
/// | `renew_time_key` | string | none |
/// | `auto_typecast` | bool | false |
/// | `enable_ruby` | bool | false; `true` is an error: Runnel runs no Ruby |
public struct RecordTransformerFilter: FilterPlugin {
    let fields: [(key: String, template: PlaceholderTemplate)]
    let removeKeys: [RecordAccessor]
    let keepKeys: [String]
    let renewRecord: Bool
    let renewTimeKey: String?
    let autoTypecast: Bool
    let hostname: String
    let logger: Logger

    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try RecordTransformerFilter(context.element, logger: context.logger)
    }

    init(_ element: ConfigElement, logger: Logger, hostname: String = RecordTransformerFilter.localHostname()) throws {
        if try element.bool("enable_ruby", default: false) {
            throw element.rejected("enable_ruby", "Runnel does not run Ruby; use the ${tag}, ${tag_parts[N]}, ${hostname}, ${time} and ${record[\"key\"]} placeholders")
        }
        var fields: [(key: String, template: PlaceholderTemplate)] = []
        for section in element.elements(named: "record") {
            for parameter in section.parameters {
                section.markUsed(parameter.key)
                fields.append((parameter.key, PlaceholderTemplate(parameter.value)))
            }
        }
        self.fields = fields
        removeKeys = try element.array("remove_keys", default: []).map { key in
            guard let accessor = RecordAccessor(key) else { throw element.invalid("remove_keys", key, expected: "field names or $.record.accessor paths") }
            return accessor
        }
        keepKeys = try element.array("keep_keys", default: [])
        renewRecord = try element.bool("renew_record", default: false)
        renewTimeKey = element.string("renew_time_key")
        autoTypecast = try element.bool("auto_typecast", default: false)
        self.hostname = hostname
        self.logger = logger
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        let tagParts = stream.tag.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var builder = EventStreamBuilder(tag: stream.tag, capacity: stream.entries.count + stream.count * 32)
        try stream.forEachEntry { time, reader in
            let record = try reader.readValue()
            var pairs: [MessagePackPair]
            if renewRecord {
                pairs = keepKeys.compactMap { key in record[key].map { MessagePackPair(key: .string(key), value: $0) } }
            } else {
                pairs = record.mapValue ?? []
            }
            let values = PlaceholderValues(tag: stream.tag, tagParts: tagParts, hostname: hostname, time: time, record: record)
            for field in fields {
                let value = field.template.expand(values, autoTypecast: autoTypecast) { unknown in
                    logger.warning("unknown placeholder in record_transformer; it expands to nothing", metadata: ["placeholder": "\(unknown)"])
                }
                if let index = pairs.firstIndex(where: { $0.key.stringValue == field.key }) {
                    pairs[index].value = value
                } else {
                    pairs.append(MessagePackPair(key: .string(field.key), value: value))
                }
            }
            var result = MessagePackValue.map(pairs)
            for accessor in removeKeys { result = result.removing(accessor.path) }
            var eventTime = time
            if let renewTimeKey, let value = result[renewTimeKey] {
                switch value {
                case .int(let i) where i >= 0: eventTime = EventTime(seconds: UInt32(clamping: i))
                case .uint(let u): eventTime = EventTime(seconds: UInt32(clamping: u))
                case .double(let d): eventTime = EventTime(timeInterval: d)
                case .float(let f): eventTime = EventTime(timeInterval: Double(f))
                case .string(let s): if let d = Double(s) { eventTime = EventTime(timeInterval: d) }
                default: break
                }
            }
            builder.append(time: eventTime, record: result)
        }
        return [builder.build()]
    }

    static func localHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension MessagePackValue {
    /// The record without the field at `path` (nested maps are rebuilt along the way).
    func removing(_ path: [String]) -> MessagePackValue {
        guard let first = path.first, case .map(var pairs) = self else { return self }
        guard let index = pairs.firstIndex(where: { $0.key.stringValue == first }) else { return self }
        if path.count == 1 {
            pairs.remove(at: index)
        } else {
            pairs[index].value = pairs[index].value.removing(Array(path.dropFirst()))
        }
        return .map(pairs)
    }
}
