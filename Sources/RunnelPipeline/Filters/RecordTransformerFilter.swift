import Foundation
import Logging
import RunnelConfig
import RunnelCore

/// `@type record_transformer` (Fluentd's filter_record_transformer, without Ruby).
///
/// Values in `<record>` may hold placeholders, expanded per event as Fluentd's
/// PlaceholderExpander does: `${tag}`, `${tag_parts[N]}`, `${tag_prefix[N]}`, `${tag_suffix[N]}`
/// (N may be negative), `${hostname}`, `${time}` (Ruby's `Time#to_s`, local time) and
/// `${record["key"]}` (top-level keys, double quotes). An unknown placeholder expands to nil
/// (nothing, inside text), with a warning. With `auto_typecast` (the default) a value that is
/// exactly one placeholder keeps the type of what it names. A value starting with `{` or `[` is
/// JSON, with placeholders expanded in its strings; keys of `<record>` and of such JSON objects
/// are expanded too. Per event: the record (or, with `renew_record`, its `keep_keys`), merged with
/// `<record>`; then `renew_time_key` read; then `remove_keys` deleted.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `<record>` | section of `key value` | none |
/// | `remove_keys` | array of names or `$.record.accessor` paths | none |
/// | `keep_keys` | array (requires `renew_record`) | none |
/// | `renew_record` | bool | false |
/// | `renew_time_key` | string: a field holding Unix time (Ruby's `to_f` of it) | none |
/// | `auto_typecast` | bool | true |
/// | `enable_ruby` | bool | false; `true` is an error: Runnel runs no Ruby |
public struct RecordTransformerFilter: FilterPlugin {
    let fields: [(key: PlaceholderTemplate, template: RecordTemplate)]
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
            throw element.rejected(
                "enable_ruby", "Runnel does not run Ruby; use the ${tag}, ${tag_parts[N]}, ${hostname}, ${time} and ${record[\"key\"]} placeholders")
        }
        var keys: [String] = []
        var templates: [String: RecordTemplate] = [:]
        for section in element.elements(named: "record") {
            for parameter in section.parameters {
                section.markUsed(parameter.key)
                if templates[parameter.key] == nil { keys.append(parameter.key) }
                templates[parameter.key] = RecordTemplate(parameter.value) {
                    logger.warning(
                        "record_transformer: value looks like JSON but does not parse; it stays a string",
                        metadata: ["record.key": "\(parameter.key)", "config.location": "\(section.location)"])
                }
            }
        }
        fields = keys.map { (PlaceholderTemplate($0), templates[$0]!) }
        removeKeys = try element.array("remove_keys", default: []).map { key in
            guard let accessor = RecordAccessor(key) else { throw element.invalid("remove_keys", key, expected: "field names or $.record.accessor paths") }
            return accessor
        }
        keepKeys = try element.array("keep_keys", default: [])
        renewRecord = try element.bool("renew_record", default: false)
        if !keepKeys.isEmpty, !renewRecord {
            throw element.rejected("keep_keys", "`renew_record` must be true to use `keep_keys`")
        }
        renewTimeKey = element.string("renew_time_key")
        // filter_record_transformer.rb: `config_param :auto_typecast, :bool, default: true`.
        autoTypecast = try element.bool("auto_typecast", default: true)
        self.hostname = hostname
        self.logger = logger
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        let tagParts = PlaceholderValues.tagParts(stream.tag)
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
            let unknown: (String) -> Void = { name in
                logger.warning("record_transformer: unknown placeholder found; it expands to nil", metadata: ["placeholder": "\(name)"])
            }
            for field in fields {
                let key = field.key.expand(values, autoTypecast: autoTypecast, forceString: true, unknown: unknown)
                let value = field.template.expand(values, autoTypecast: autoTypecast, unknown: unknown)
                if let index = pairs.firstIndex(where: { $0.key == key }) {
                    pairs[index].value = value
                } else {
                    pairs.append(MessagePackPair(key: key, value: value))
                }
            }
            var result = MessagePackValue.map(pairs)
            var eventTime = time
            // Read before remove_keys applies, as filter_stream does.
            if let renewTimeKey, let value = result[renewTimeKey] {
                guard let seconds = RecordTransformerFilter.rubyToF(value) else {
                    // Ruby raises NoMethodError (`to_f` of a Hash, Array or bool): the event goes
                    // to the error stream, so it does not continue down this one.
                    logger.warning(
                        "record_transformer: renew_time_key value is not a number or string; event dropped",
                        metadata: ["renew_time_key": "\(renewTimeKey)", "tag": "\(stream.tag)"])
                    return
                }
                eventTime = RecordTransformerFilter.eventTime(fromUnixSeconds: seconds)
            }
            for accessor in removeKeys { result = result.removing(accessor.path) }
            builder.append(time: eventTime, record: result)
        }
        return [builder.build()]
    }

    /// Ruby's `to_f` for the values a record can hold; nil where Ruby has no `to_f` (raises).
    static func rubyToF(_ value: MessagePackValue) -> Double? {
        switch value {
        case .nil: return 0
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .float(let f): return Double(f)
        case .double(let d): return d
        case .string(let s): return rubyStringToF(s)
        case .binary(let b): return rubyStringToF(String(decoding: b, as: UTF8.self))
        default: return nil
        }
    }

    /// Ruby's `String#to_f`: the longest leading decimal number (after whitespace; `_` between
    /// digits allowed), 0.0 if there is none. `"12.5abc"` → 12.5, `"abc"` → 0.0.
    static func rubyStringToF(_ text: String) -> Double {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count, [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].contains(bytes[i]) { i += 1 }
        var number: [UInt8] = []
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { number.append(bytes[i]); i += 1 }
        func digits() -> Bool {
            var any = false
            while i < bytes.count {
                if bytes[i] >= 0x30, bytes[i] <= 0x39 { number.append(bytes[i]); any = true; i += 1; continue }
                if bytes[i] == UInt8(ascii: "_"), any, i + 1 < bytes.count, bytes[i + 1] >= 0x30, bytes[i + 1] <= 0x39 { i += 1; continue }
                break
            }
            return any
        }
        let whole = digits()
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), bytes[i + 1] >= 0x30, bytes[i + 1] <= 0x39 {
            number.append(bytes[i]); i += 1
            _ = digits()
        } else if !whole {
            return 0
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var exponent: [UInt8] = [UInt8(ascii: "e")]
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { exponent.append(bytes[j]); j += 1 }
            let before = exponent.count
            while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 { exponent.append(bytes[j]); j += 1 }
            if exponent.count > before { number += exponent }
        }
        return Double(String(decoding: number, as: UTF8.self)) ?? 0
    }

    /// `Fluent::EventTime.from_time(Time.at(seconds))`: whole seconds and the nanoseconds of the
    /// float's exact binary value, rounded down (Ruby's Time keeps the exact rational).
    static func eventTime(fromUnixSeconds seconds: Double) -> EventTime {
        guard seconds.isFinite, seconds >= 0 else { return EventTime(seconds: 0) }
        let whole = seconds.rounded(.down)
        let fraction = seconds - whole
        let product = fraction * 1_000_000_000
        // fma gives the rounding error exactly: an integral product may have been rounded up.
        let error = (-product).addingProduct(fraction, 1_000_000_000)
        var nanoseconds = product.rounded(.down)
        if nanoseconds == product, error < 0 { nanoseconds -= 1 }
        return EventTime(seconds: UInt32(clamping: Int64(whole)), nanoseconds: UInt32(max(0, min(999_999_999, nanoseconds))))
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
