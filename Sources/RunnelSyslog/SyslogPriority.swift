/// A syslog PRI value split into facility and severity, named as Fluentd's in_syslog names them
/// in tags (`FACILITY_MAP`, `PRIORITY_MAP`): RFC 5424 §6.2.1, facility = PRI / 8, severity = PRI % 8.
public struct SyslogPriority: Sendable, Equatable {
    public let value: Int

    /// Nil for a value outside 0...191 (RFC 5424 has 24 facilities).
    public init?(_ value: Int) {
        guard (0...191).contains(value) else { return nil }
        self.value = value
    }

    public var facility: String { Self.facilities[value >> 3] }
    public var severity: String { Self.severities[value & 0b111] }

    static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "audit", "alert", "at", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ]
    static let severities = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]

    /// Splits `<PRI>rest` (in_syslog's `SYSLOG_REGEXP`, used when the parser does not read the
    /// priority itself). Nil when the message does not start with `<`, 1 to 3 digits and `>`.
    public static func split(_ message: [UInt8]) -> (priority: Int, rest: ArraySlice<UInt8>)? {
        guard message.first == UInt8(ascii: "<"), let close = message.prefix(5).firstIndex(of: UInt8(ascii: ">")), close > 1
        else { return nil }
        let digits = message[1..<close]
        guard digits.allSatisfy(MessageFramer.isDigit) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (value, message[(close + 1)...])
    }
}
