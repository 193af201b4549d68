import RunnelConfig
import RunnelCore

/// `@type regexp`: named captures become fields (`expression`, Ruby syntax). `time_key` defaults
/// to `time`; `types`, `null_value_pattern` and the time keys of `ParserCommon` apply.
/// Also the engine of the preset formats (`nginx`, `apache_error`) and of `multiline`.
public struct RegexpParser: LineParser {
    public let regex: NamedRegex
    public var common: ParserCommon

    public init(expression: String, common: ParserCommon = ParserCommon()) throws {
        regex = try NamedRegex(expression)
        self.common = common
    }

    public init(_ element: ConfigElement, defaultExpression: String? = nil, defaultTimeFormat: String? = nil) throws {
        let expression: String
        if let written = element.string("expression") ?? defaultExpression {
            expression = written
        } else {
            expression = try element.requiredString("expression")
        }
        var pattern = expression
        if try element.bool("ignorecase", default: false), !pattern.hasPrefix("/") { pattern = "/\(pattern)/i" }
        if try element.bool("multiline", default: false), !pattern.hasPrefix("/") { pattern = "/\(pattern)/m" }
        try self.init(expression: pattern, common: ParserCommon(element, defaultTimeFormat: defaultTimeFormat))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        parse(text: String(decoding: line, as: UTF8.self), now: now, into: &output)
    }

    func parse(text: String, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        guard let captures = regex.match(text) else { return .unmatched }
        return common.emit(textFields: captures, now: now, into: &output) ? .emitted : .unmatched
    }

    /// Fluentd's `nginx` parser: a regexp preset for the default `combined` log format.
    public static let nginxExpression =
        #"/^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^\"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>[^\"]*)"(?:\s+(?<http_x_forwarded_for>[^ ]+))?)?$/"#
    /// Fluentd's `apache_error` parser.
    public static let apacheErrorExpression =
        #"/^\[[^ ]* (?<time>[^\]]*)\] \[(?<level>[^\]]*)\](?: \[pid (?<pid>[^\]]*)\])?( \[client (?<client>[^\]]*)\])? (?<message>.*)$/"#
    public static let accessLogTimeFormat = "%d/%b/%Y:%H:%M:%S %z"
}
