/// Why a message was not turned into an event. A value, not an error: the input logs it (rate
/// limited, per reason) and goes on with the next message; the connection stays up.
public enum MessageProblem: Sendable, Equatable, CustomStringConvertible {
    /// The parser did not match the message (Fluentd: "pattern not matched").
    case patternNotMatched(String)
    /// in_syslog: no `<PRI>` in front of the message, or one outside 0...191.
    case invalidPriority(String)
    /// The message was longer than `message_length_limit` and was skipped.
    case tooLong(size: Int, limit: Int)
    /// An octet-counted frame did not start with a count.
    case invalidLength(String)

    /// A stable name for the log's rate limit and for tests.
    public var reason: String {
        switch self {
        case .patternNotMatched: return "pattern_not_matched"
        case .invalidPriority: return "invalid_priority"
        case .tooLong: return "message_too_long"
        case .invalidLength: return "invalid_octet_count"
        }
    }

    public var description: String {
        switch self {
        case .patternNotMatched(let text):
            return "pattern not matched: \(Self.quoted(text)); check the <parse> section"
        case .invalidPriority(let text):
            return "invalid syslog message: no priority <0>..<191> at its start: \(Self.quoted(text))"
        case .tooLong(let size, let limit):
            return "message of \(size) bytes is longer than message_length_limit \(limit) and was dropped"
        case .invalidLength(let text):
            return "octet-counted frame does not start with a length: \(Self.quoted(text)); skipped to the next newline (check frame_type)"
        }
    }

    /// The first 200 characters, quoted, for the log.
    static func quoted(_ text: String) -> String {
        let head = text.prefix(200)
        return "\"\(head)\(head.count < text.count ? "…" : "")\""
    }
}
