import RunnelConfig
import RunnelCore

/// What every Fluentd parser shares: where the time is and how to read it, value types and nulls.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `time_key` | string | `time` (per parser) | same |
/// | `time_format` | string | guess ISO 8601 and common formats | same |
/// | `time_type` | `string`/`unixtime`/`float` | `string` | same |
/// | `keep_time_key` | bool | false | same |
/// | `localtime` / `utc` / `timezone` | | local time | same; `timezone` takes fixed offsets (`+09:00`) |
/// | `types` | `k:integer,k2:float,k3:bool,k4:array` | none | same (`time` type read as string) |
/// | `null_value_pattern` | regexp | none | same: unanchored |
/// | `null_empty_string` | bool | false | same |
/// | `estimate_current_event` | bool | true | same: no time → now |
public struct ParserCommon: Sendable {
    public enum FieldType: Sendable, Equatable {
        case string, integer, float, bool
        case array(delimiter: String)
    }

    public var timeKey: String?
    public var keepTimeKey = false
    public var timeParser = TimeParser()
    public var types: [String: FieldType] = [:]
    public var nullValuePattern: NamedRegex?
    public var nullEmptyString = false
    public var estimateCurrentEvent = true

    public init(timeKey: String? = "time") {
        self.timeKey = timeKey
    }

    /// Reads the shared keys of a `<parse>` section; `defaultTimeKey`/`defaultTimeFormat` are the
    /// parser's own; `fixedTimeFormat` is one the parser sets over whatever the section says.
    public init(
        _ element: ConfigElement, defaultTimeKey: String? = "time", defaultTimeFormat: String? = nil,
        fixedTimeFormat: String? = nil
    ) throws {
        timeKey = element.string("time_key") ?? defaultTimeKey
        keepTimeKey = try element.bool("keep_time_key", default: false)
        let type: TimeParser.TimeType = try element.enumeration("time_type", default: .string)
        let format = fixedTimeFormat ?? element.string("time_format") ?? defaultTimeFormat
        var zone = TimeParser.Zone.local
        if try element.bool("utc", default: false) { zone = .fixed(offsetSeconds: 0) }
        if try element.bool("localtime", default: true) == false { zone = .fixed(offsetSeconds: 0) }
        if let name = element.string("timezone") {
            guard let offset = UTCOffset.parse(name) else {
                throw element.rejected("timezone", "'\(name)' is not a fixed offset such as +09:00, -0700 or UTC")
            }
            zone = .fixed(offsetSeconds: offset)
        }
        timeParser = TimeParser(type: type, format: format, zone: zone)
        if let pairs = try element.hash("types") {
            for (key, spec) in pairs {
                let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                switch parts.first ?? "" {
                case "integer", "int": types[key] = .integer
                case "float": types[key] = .float
                case "bool": types[key] = .bool
                case "array": types[key] = .array(delimiter: parts.count > 1 ? parts[1] : ",")
                case "string", "time": types[key] = .string
                default: throw element.rejected("types", "unknown type '\(spec)' for '\(key)'")
                }
            }
        }
        if let pattern = element.string("null_value_pattern") {
            // parser.rb string_like_null: `null_value_regexp.match?(s)`, unanchored.
            nullValuePattern = try NamedRegex(pattern)
        }
        nullEmptyString = try element.bool("null_empty_string", default: false)
        estimateCurrentEvent = try element.bool("estimate_current_event", default: true)
    }

    /// Applies types and nulls to a field read as text.
    public func convert(_ key: String, _ text: String?) -> MessagePackValue {
        guard let text else { return .nil }
        if nullEmptyString, text.isEmpty { return .nil }
        if let nullValuePattern, nullValuePattern.matches(text) { return .nil }
        switch types[key] {
        case nil, .string: return .string(text)
        case .integer:
            if let i = Int64(text) { return .int(i) }
            // A float is truncated; one Int64 cannot hold (infinite, NaN, past 2^63) is 0, not a trap.
            return .int(Double(text).flatMap { Int64(exactly: $0.rounded(.towardZero)) } ?? 0)
        case .float: return .double(Double(text) ?? 0)
        case .bool: return .bool(text == "true" || text == "yes" || text == "1")
        case .array(let delimiter):
            return .array(text.components(separatedBy: delimiter).map { .string($0) })
        }
    }

    /// Takes the time out of a record (keeping the field with `keep_time_key`).
    /// Returns nil when the time field is present but does not parse.
    public func extractTime(
        _ fields: inout [(String, MessagePackValue)], now: EventTime
    ) -> EventTime? {
        guard let timeKey, let index = fields.firstIndex(where: { $0.0 == timeKey }) else {
            return estimateCurrentEvent ? now : EventTime(seconds: 0)
        }
        let value = fields[index].1
        if value.isNil { return estimateCurrentEvent ? now : EventTime(seconds: 0) }
        guard let time = timeParser.parse(value, now: now) else { return nil }
        if !keepTimeKey { fields.remove(at: index) }
        return time
    }

    /// Converts text fields, extracts the time and appends the event; false when the time does not parse.
    public func emit(
        textFields: [(name: String, value: String?)], now: EventTime, into output: inout ParserOutput
    ) -> Bool {
        // parser_regexp.rb: `convert_values(parse_time(r), r)`: the time is read before types and
        // nulls apply, and they apply to the time field only when it is kept.
        var fields = textFields.map { field -> (String, MessagePackValue) in
            field.name == timeKey ? (field.name, field.value.map { .string($0) } ?? .nil) : (field.name, convert(field.name, field.value))
        }
        guard let time = extractTime(&fields, now: now) else { return false }
        if keepTimeKey, let index = fields.firstIndex(where: { $0.0 == timeKey }), let text = fields[index].1.stringValue {
            fields[index].1 = convert(fields[index].0, text)
        }
        output.append(time: time, fields: fields)
        return true
    }
}
