import RunnelConfig
import RunnelCore

/// `@type syslog`: RFC 3164 (BSD) and RFC 5424 lines, as Fluentd's syslog parser reads them.
/// `message_format` is `rfc3164` (default), `rfc5424` or `auto` (chosen per line by the
/// version digit after `<PRI>`); `with_priority` expects `<PRI>` in RFC 3164 lines; `pri` becomes an integer.
public struct SyslogParser: LineParser {
    public enum MessageFormat: String, Sendable, CaseIterable {
        case rfc3164, rfc5424, auto
    }

    static let rfc3164 =
        #"/^(?<time>[^ ]*\s*[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[^ :\[]*)(?:\[(?<pid>[0-9]+)\])?(?:[^\:]*\:)? *(?<message>.*)$/"#
    static let rfc3164WithPri =
        #"/^\<(?<pri>[0-9]+)\>(?<time>[^ ]* {1,2}[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[^ :\[]*)(?:\[(?<pid>[0-9]+)\])?(?:[^\:]*\:)? *(?<message>.*)$/"#
    static let rfc5424 =
        #"/\A(?<time>[^ ]+) (?<host>[!-~]{1,255}) (?<ident>[!-~]{1,48}) (?<pid>[!-~]{1,128}) (?<msgid>[!-~]{1,32}) (?<extradata>(?:\-|(?:\[.*?(?<!\\)\])+))(?: (?<message>.+))?\z/m"#
    static let rfc5424WithPri =
        #"/\A\<(?<pri>[0-9]{1,3})\>[1-9]\d{0,2} (?<time>[^ ]+) (?<host>[!-~]{1,255}) (?<ident>[!-~]{1,48}) (?<pid>[!-~]{1,128}) (?<msgid>[!-~]{1,32}) (?<extradata>(?:\-|(?:\[.*?(?<!\\)\])+))(?: (?<message>.+))?\z/m"#

    public let format: MessageFormat
    /// Whether lines start with `<PRI>`, read into `pri` (always so for `auto`).
    public let withPriority: Bool
    let regex3164: NamedRegex
    let regex5424: NamedRegex
    var common3164: ParserCommon
    var common5424: ParserCommon

    public init(
        format: MessageFormat = .rfc3164, withPriority: Bool = false, keepTimeKey: Bool = false,
        timeFormat: String? = nil, rfc5424TimeFormat: String? = nil, zone: TimeParser.Zone = .local
    ) throws {
        self.format = format
        let pri = withPriority || format == .auto
        self.withPriority = pri
        regex3164 = try NamedRegex(pri ? SyslogParser.rfc3164WithPri : SyslogParser.rfc3164)
        regex5424 = try NamedRegex(pri ? SyslogParser.rfc5424WithPri : SyslogParser.rfc5424)
        common3164 = ParserCommon()
        common3164.keepTimeKey = keepTimeKey
        common3164.types = ["pri": .integer]
        common3164.timeParser = TimeParser(format: timeFormat ?? "%b %d %H:%M:%S", zone: zone)
        common5424 = common3164
        common5424.timeParser = TimeParser(format: rfc5424TimeFormat ?? timeFormat ?? "%Y-%m-%dT%H:%M:%S.%N%z", zone: zone)
        if rfc5424TimeFormat == nil, timeFormat == nil { common5424.timeParser.format = nil }
    }

    /// `defaultWithPriority` is in_syslog's: its `<parse>` section defaults `with_priority` to true.
    public init(_ element: ConfigElement, defaultWithPriority: Bool = false) throws {
        let common = try ParserCommon(element)
        try self.init(
            format: element.enumeration("message_format", default: .rfc3164),
            withPriority: element.bool("with_priority", default: defaultWithPriority),
            keepTimeKey: common.keepTimeKey,
            timeFormat: element.string("time_format"),
            rfc5424TimeFormat: element.string("rfc5424_time_format"),
            zone: common.timeParser.zone)
        _ = element.string("parser_type")
        _ = try element.bool("support_colonless_ident", default: true)
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        let text = String(decoding: line, as: UTF8.self)
        let use5424: Bool
        switch format {
        case .rfc3164: use5424 = false
        case .rfc5424: use5424 = true
        case .auto: use5424 = SyslogParser.looksLike5424(line)
        }
        let regex = use5424 ? regex5424 : regex3164
        guard let captures = regex.match(text) else { return .unmatched }
        let common = use5424 ? common5424 : common3164
        // parser_syslog.rb parse_plain (v1.16): a group that did not take part is left out
        // (`if value = m[name]`), and `message` loses one trailing newline (`chomp!`).
        let fields = captures.compactMap { capture -> (name: String, value: String?)? in
            guard let value = capture.value else { return nil }
            return (capture.name, capture.name == "message" ? Self.chomp(value) : value)
        }
        return common.emit(textFields: fields, now: now, into: &output) ? .emitted : .unmatched
    }

    /// Ruby's `String#chomp`: one trailing `\r\n`, `\n` or `\r` removed.
    static func chomp(_ text: String) -> String {
        if text.hasSuffix("\r\n") { return String(text.utf8.dropLast(2))! }
        if text.hasSuffix("\n") || text.hasSuffix("\r") { return String(text.utf8.dropLast())! }
        return text
    }

    /// `<PRI>` followed by a version digit 1-9 (RFC 5424 §6.2) rather than a month name.
    static func looksLike5424(_ line: UnsafeRawBufferPointer) -> Bool {
        guard line.first == UInt8(ascii: "<"), let close = line.firstIndex(of: UInt8(ascii: ">")), close + 1 < line.count else {
            return false
        }
        let b = line[close + 1]
        return b >= UInt8(ascii: "1") && b <= UInt8(ascii: "9")
    }
}
