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
        guard !regex.names.isEmpty else {
            // parser_regexp.rb configure.
            throw ParserError.invalidExpression(expression, reason: "no named captures; the regexp must have at least one named capture")
        }
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

    /// A preset whose `configure` sets `expression` and `time_format` over the section's own
    /// (the daemonset images' `kubernetes` parser).
    public init(_ element: ConfigElement, forcedExpression: String, forcedTimeFormat: String) throws {
        element.markUsed("expression")
        element.markUsed("time_format")
        try self.init(expression: forcedExpression, common: ParserCommon(element, fixedTimeFormat: forcedTimeFormat))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        parse(text: String(decoding: line, as: UTF8.self), now: now, into: &output)
    }

    func parse(text: String, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        guard let captures = regex.match(text) else { return .unmatched }
        return emit(captures, now: now, into: &output) ? .emitted : .unmatched
    }

    /// A group that took no part in the match is left out of the record (parser_regexp.rb:
    /// `if value = m[name]`); a name used twice keeps the group that matched.
    func emit(_ captures: [(name: String, value: String?)], now: EventTime, into output: inout ParserOutput) -> Bool {
        var fields: [(name: String, value: String?)] = []
        for capture in captures where capture.value != nil {
            if let at = fields.firstIndex(where: { $0.name == capture.name }) { fields[at].value = capture.value } else { fields.append(capture) }
        }
        return common.emit(textFields: fields, now: now, into: &output)
    }

    /// Fluentd's `nginx` parser (parser_nginx.rb): a regexp preset for nginx's `combined` format.
    public static let nginxExpression =
        #"/^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^\"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>[^\"]*)"(?:\s+\"?(?<http_x_forwarded_for>[^\"]*)\"?)?)?$/"#
    /// Fluentd's `apache` parser (parser_apache.rb): Apache's common/combined log format, all
    /// fields text (unless `types` says otherwise), `time_format` `%d/%b/%Y:%H:%M:%S %z`.
    public static let apacheExpression =
        #"/^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^ ]*) +\S*)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^\"]*)" "(?<agent>[^\"]*)")?$/"#
    /// The `kubernetes` parser of the fluentd-kubernetes-daemonset images
    /// (docker-image/v1.19/*/plugins/parser_kubernetes.rb): a RegexpParser for glog lines
    /// (kubelet, kube-proxy, ...) with this expression and `%m%d %H:%M:%S.%N`.
    public static let kubernetesExpression =
        #"/^(?<severity>\w)(?<time>\d{4} [^\s]*)\s+(?<pid>\d+)\s+(?<source>[^ \]]+)\] (?<message>.*)/m"#
    public static let kubernetesTimeFormat = "%m%d %H:%M:%S.%N"
    /// The same images' `multiline_kubernetes` (parser_multiline_kubernetes.rb): a MultilineParser.
    public static let kubernetesFirstline = #"/^\w\d{4}/"#
    public static let multilineKubernetesFormat =
        #"/^(?<severity>\w)(?<time>\d{4} [^\s]*)\s+(?<pid>\d+)\s+(?<source>[^ \]]+)\] (?<message>.*)/"#
    /// Fluentd's `apache_error` parser.
    public static let apacheErrorExpression =
        #"/^\[[^ ]* (?<time>[^\]]*)\] \[(?<level>[^\]]*)\](?: \[pid (?<pid>[^\]]*)\])?( \[client (?<client>[^\]]*)\])? (?<message>.*)$/"#
    public static let accessLogTimeFormat = "%d/%b/%Y:%H:%M:%S %z"
}
