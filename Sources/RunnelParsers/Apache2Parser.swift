import RunnelConfig
import RunnelCore

/// `@type apache2`: Apache's combined log format, as Fluentd's `apache2` parser reads it:
/// `-` becomes nil for host, user, size, referer and agent; `code` and `size` are integers.
public struct Apache2Parser: LineParser {
    static let expression =
        #"/^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>(?:[^\"]|\\")*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>(?:[^\"]|\\")*)" "(?<agent>(?:[^\"]|\\")*)")?$/"#
    let regex: NamedRegex
    public var common: ParserCommon

    public init(common: ParserCommon? = nil) throws {
        regex = try NamedRegex(Apache2Parser.expression)
        var defaults = ParserCommon()
        defaults.timeParser = TimeParser(format: RegexpParser.accessLogTimeFormat)
        self.common = common ?? defaults
    }

    /// parser_apache2.rb reads the time with its own TIME_FORMAT, whatever `time_format` says.
    public init(_ element: ConfigElement) throws {
        element.markUsed("time_format")
        try self.init(common: ParserCommon(element, fixedTimeFormat: RegexpParser.accessLogTimeFormat))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        let text = String(decoding: line, as: UTF8.self)
        guard let captures = regex.match(text) else { return .unmatched }
        var values: [String: String] = [:]
        for capture in captures { if let value = capture.value { values[capture.name] = value } }
        guard let timeText = values["time"], let time = common.timeParser.parse(timeText, now: now) else { return .unmatched }
        func dashless(_ key: String) -> MessagePackValue {
            guard let value = values[key], value != "-" else { return .nil }
            return .string(value)
        }
        let code = Int64(values["code"] ?? "") ?? 0
        var fields: [(String, MessagePackValue)] = [
            ("host", dashless("host")), ("user", dashless("user")),
            ("method", values["method"].map { .string($0) } ?? .nil),
            ("path", values["path"].map { .string($0) } ?? .nil),
            ("code", code == 0 ? .nil : .int(code)),
            ("size", values["size"].flatMap { $0 == "-" ? nil : MessagePackValue.int(Int64($0) ?? 0) } ?? .nil),
            ("referer", dashless("referer")), ("agent", dashless("agent")),
        ]
        if common.keepTimeKey { fields.append(("time", .string(timeText))) }
        output.append(time: time, fields: fields)
        return .emitted
    }
}
