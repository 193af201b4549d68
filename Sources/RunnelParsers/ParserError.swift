import RunnelConfig

/// Why a parser could not be built or a value could not be parsed.
public enum ParserError: Error, Sendable, CustomStringConvertible {
    /// A regular expression (`expression`, `format_firstline`, `formatN`) does not compile.
    case invalidExpression(String, reason: String)
    /// A time string does not match `time_format`.
    case timeNotMatched(value: String, format: String)
    /// A line or value does not match the parser's format.
    case patternNotMatched(String)

    public var description: String {
        switch self {
        case .invalidExpression(let expression, let reason):
            return "regular expression \(expression) does not compile (\(reason)): check its syntax"
        case .timeNotMatched(let value, let format):
            return "time '\(value)' does not match time_format '\(format)'"
        case .patternNotMatched(let text):
            return "pattern not matched with data '\(text.prefix(200))'"
        }
    }
}
