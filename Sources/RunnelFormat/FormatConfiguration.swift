import RunnelCore

/// The `<format>` section: how a record becomes the bytes of a Kinesis record
/// (Fluentd's formatter plugins, with their parameter names and defaults).
public struct FormatConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case json
        case singleValue = "single_value"
        case ltsv
        case csv
        case tsv
        case msgpack
        case hash
        case outFile = "out_file"
    }

    public var kind: Kind = .json
    /// `add_newline` (json, single_value, ltsv, csv, hash; default true). `out_file` always ends lines.
    public var addNewline: Bool = true
    /// single_value: `message_key` (default `message`).
    public var messageKey: String = "message"
    /// ltsv: `delimiter` (tab) and `label_delimiter` (`:`); csv: `delimiter` (`,`); tsv and out_file: `delimiter` (tab).
    public var delimiter: [UInt8] = [0x09]
    public var labelDelimiter: [UInt8] = [UInt8(ascii: ":")]
    /// csv: `fields` (required) and `force_quotes` (default true); tsv: `keys` (required).
    public var fields: [String] = []
    public var forceQuotes: Bool = true
    /// out_file: `output_tag`, `output_time` (default true) and the time format of its time column.
    public var outputTag: Bool = true
    public var outputTime: Bool = true
    public var outFileTime: TimeFormatter = TimeFormatter(format: "%Y-%m-%dT%H:%M:%S%z", utcOffset: 0)

    public init() {}
}

/// The `<inject>` section: fields added to each record before formatting
/// (Fluentd's inject helper; fluent-plugin-kinesis sets `time_type string` and
/// `time_format %Y-%m-%dT%H:%M:%S.%N%z` as defaults).
public struct InjectConfiguration: Sendable, Equatable {
    /// Fluentd's `time_type` (lib/fluent/plugin_helper/inject.rb).
    public enum TimeType: String, Sendable, CaseIterable {
        case string
        case unixtime
        case unixtimeMillis = "unixtime_millis"
        case unixtimeMicros = "unixtime_micros"
        case unixtimeNanos = "unixtime_nanos"
        case float
    }

    /// What an injected key holds.
    public enum Field: Sendable, Equatable {
        case hostname, workerID, tag, time
    }

    public var timeKey: String?
    public var timeType: TimeType = .string
    public var time: TimeFormatter = TimeFormatter(format: "%Y-%m-%dT%H:%M:%S.%N%z", utcOffset: 0)
    public var tagKey: String?
    public var hostnameKey: String?
    public var hostname: String = ""
    /// `worker_id_key`: Runnel runs one worker, whose id is 0.
    public var workerIDKey: String?

    public init() {}

    public var isEmpty: Bool { timeKey == nil && tagKey == nil && hostnameKey == nil && workerIDKey == nil }

    /// The injected keys in Fluentd's order.
    public var keys: [(name: String, field: Field)] {
        var keys: [(name: String, field: Field)] = []
        if let hostnameKey { keys.append((hostnameKey, .hostname)) }
        if let workerIDKey { keys.append((workerIDKey, .workerID)) }
        if let tagKey { keys.append((tagKey, .tag)) }
        if let timeKey { keys.append((timeKey, .time)) }
        return keys
    }

    /// Writes the value of `field` for an event.
    public func write(_ field: Field, tag: String, time: EventTime, to writer: inout MessagePackWriter) {
        switch field {
        case .hostname: writer.write(hostname)
        case .workerID: writer.write(Int64(0))
        case .tag: writer.write(tag)
        case .time:
            let seconds = Int64(time.seconds)
            let nanoseconds = Int64(time.nanoseconds)
            switch timeType {
            case .string:
                var text: [UInt8] = []
                self.time.append(time, to: &text)
                writer.writeString(utf8: text)
            case .unixtime: writer.write(seconds)
            case .unixtimeMillis: writer.write(seconds * 1_000 + nanoseconds / 1_000_000)
            case .unixtimeMicros: writer.write(seconds * 1_000_000 + nanoseconds / 1_000)
            case .unixtimeNanos: writer.write(seconds * 1_000_000_000 + nanoseconds)
            // Fluentd: `time.to_r.truncate(+6).to_f`, whole microseconds; one correctly rounded
            // division of exact values, as Rational#to_f gives.
            case .float: writer.write(Double(seconds * 1_000_000 + nanoseconds / 1_000) / 1_000_000)
            }
        }
    }
}
