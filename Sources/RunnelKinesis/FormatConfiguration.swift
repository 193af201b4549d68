/// The `<format>` section: how a record becomes the bytes of a Kinesis record
/// (Fluentd's formatter plugins, with their parameter names and defaults).
public struct FormatConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case json
        case singleValue = "single_value"
        case ltsv
        case csv
        case msgpack
        case hash
        case outFile = "out_file"
    }

    public var kind: Kind = .json
    /// `add_newline` (json, single_value, ltsv, csv, hash; default true). `out_file` always ends lines.
    public var addNewline: Bool = true
    /// single_value: `message_key` (default `message`).
    public var messageKey: String = "message"
    /// ltsv: `delimiter` (tab) and `label_delimiter` (`:`); csv: `delimiter` (`,`); out_file: `delimiter` (tab).
    public var delimiter: [UInt8] = [0x09]
    public var labelDelimiter: [UInt8] = [UInt8(ascii: ":")]
    /// csv: `fields` (required) and `force_quotes` (default true).
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
    public enum TimeType: String, Sendable, CaseIterable {
        case string
        case unixtime
        case float
    }

    public var timeKey: String?
    public var timeType: TimeType = .string
    public var time: TimeFormatter = TimeFormatter(format: "%Y-%m-%dT%H:%M:%S.%N%z", utcOffset: 0)
    public var tagKey: String?
    public var hostnameKey: String?
    public var hostname: String = ""

    public init() {}

    public var isEmpty: Bool { timeKey == nil && tagKey == nil && hostnameKey == nil }
}
