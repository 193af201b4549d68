import Foundation
import RunnelConfig
import RunnelCore

extension FormatConfiguration {
    /// Reads a `<format>` section; `defaultKind` is the output's default formatter (json for most,
    /// out_file for out_file).
    public init(from element: ConfigElement, defaultKind: Kind = .json) throws {
        self.init()
        kind = defaultKind
        let typeKey = element.has("@type") ? "@type" : "type"
        if let raw = element.string(typeKey) {
            guard let parsed = Kind(rawValue: raw) else {
                throw element.invalid(typeKey, raw, expected: "one of " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            kind = parsed
        }
        addNewline = try element.bool("add_newline", default: true)
        messageKey = element.string("message_key", default: "message")
        switch kind {
        case .ltsv:
            delimiter = Array(FormatConfiguration.unescape(element.string("delimiter", default: "\t")).utf8)
            labelDelimiter = Array(FormatConfiguration.unescape(element.string("label_delimiter", default: ":")).utf8)
        case .csv:
            delimiter = Array(FormatConfiguration.unescape(element.string("delimiter", default: ",")).utf8)
            fields = try element.array("fields") ?? []
            guard !fields.isEmpty else { throw element.rejected("fields", "csv format needs 'fields'") }
            forceQuotes = try element.bool("force_quotes", default: true)
        case .tsv:
            delimiter = Array(FormatConfiguration.unescape(element.string("delimiter", default: "\t")).utf8)
            fields = try element.array("keys") ?? []
            guard !fields.isEmpty else { throw element.rejected("keys", "tsv format needs 'keys'") }
        case .outFile:
            let raw = element.string("delimiter", default: "TAB")
            switch raw.uppercased() {
            case "TAB", "\\T": delimiter = [0x09]
            case "SPACE": delimiter = [0x20]
            case "COMMA": delimiter = [UInt8(ascii: ",")]
            default: delimiter = Array(raw.utf8)
            }
            outputTag = try element.bool("output_tag", default: true)
            outputTime = try element.bool("output_time", default: true)
            let offset = try TimeConfiguration.offset(from: element)
            outFileTime = TimeFormatter(format: element.string("time_format", default: "%Y-%m-%dT%H:%M:%S%z"), utcOffset: offset)
        default:
            break
        }
    }

    /// `\t` written as two characters in a config file means a tab.
    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
    }
}

extension InjectConfiguration {
    public init(from element: ConfigElement) throws {
        self.init()
        timeKey = element.string("time_key")
        tagKey = element.string("tag_key")
        hostnameKey = element.string("hostname_key")
        workerIDKey = element.string("worker_id_key")
        hostname = element.string("hostname") ?? ProcessInfo.processInfo.hostName
        timeType = try element.enumeration("time_type", default: TimeType.string)
        let offset = try TimeConfiguration.offset(from: element)
        time = TimeFormatter(format: element.string("time_format", default: "%Y-%m-%dT%H:%M:%S.%N%z"), utcOffset: offset)
    }
}

/// Fluentd's `localtime` (default true), `utc` and `timezone` parameters, as a fixed UTC offset.
public enum TimeConfiguration {
    public static func offset(from element: ConfigElement) throws -> Int {
        if let zone = element.string("timezone") {
            guard let offset = UTCOffset.parse(zone) else {
                throw element.invalid("timezone", zone, expected: "an offset such as +09:00 or UTC")
            }
            return offset
        }
        if try element.bool("utc", default: false) { return 0 }
        return try element.bool("localtime", default: true) ? UTCOffset.localSeconds(at: Int(Date().timeIntervalSince1970)) : 0
    }
}
