import RunnelConfig

/// Why a parser could not be built or a value could not be parsed.
public enum ParserError: Error, Sendable, CustomStringConvertible {
    /// `@type` in `<parse>` names a parser Runnel does not have.
    case unknownType(String, section: String)
    /// A regular expression (`expression`, `format_firstline`, `formatN`) does not compile.
    case invalidExpression(String, reason: String)
    /// A time string does not match `time_format`.
    case timeNotMatched(value: String, format: String)
    /// A line or value does not match the parser's format.
    case patternNotMatched(String)

    public var description: String {
        switch self {
        case .unknownType(let type, let section):
            return "\(section): unknown parser type '\(type)'; use one of \(ParserRegistry.knownTypes.joined(separator: ", "))"
        case .invalidExpression(let expression, let reason):
            return "regular expression \(expression) does not compile (\(reason)): check its syntax"
        case .timeNotMatched(let value, let format):
            return "time '\(value)' does not match time_format '\(format)'"
        case .patternNotMatched(let text):
            return "pattern not matched with data '\(text.prefix(200))'"
        }
    }
}
