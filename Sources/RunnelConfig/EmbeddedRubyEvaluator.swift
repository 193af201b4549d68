/// Evaluates the `#{...}` of a double-quoted configuration string. Fluentd runs arbitrary Ruby
/// there; Runnel understands the forms configurations actually use:
///
/// - `ENV['NAME']`, `ENV["NAME"]`: the variable, or an empty string if it is not set (Ruby's nil);
/// - `ENV.fetch('NAME')`: the variable, an error naming it if it is not set;
/// - `ENV.fetch('NAME', 'default')`, `ENV.fetch('NAME', nil)`;
/// - `Socket.gethostname` and `hostname`: this host's name; `worker_id`: `SERVERENGINE_WORKER_ID` or `0`;
/// - string literals, `nil`, and `a || b` between any of these (`ENV['X'] || 'default'`).
///
/// Anything else is an error saying so, rather than a silently wrong value.
struct EmbeddedRubyEvaluator {
    let code: String
    let location: SourceLocation
    let context: ConfigParseContext
    private var tokens: [Token] = []
    private var index = 0

    enum Token: Equatable {
        case identifier(String)
        case string(String)
        case punctuation(String)
    }

    init(code: String, location: SourceLocation, context: ConfigParseContext) {
        self.code = code
        self.location = location
        self.context = context
    }

    /// The value the code stands for in the string.
    static func evaluate(_ code: String, at location: SourceLocation, context: ConfigParseContext) throws -> String {
        var evaluator = EmbeddedRubyEvaluator(code: code, location: location, context: context)
        return try evaluator.evaluate()
    }

    mutating func evaluate() throws -> String {
        guard let tokens = Self.tokenize(code) else { throw unsupported() }
        self.tokens = tokens
        guard !tokens.isEmpty else { return "" }
        var value = try term()
        while next(is: .punctuation("||")) {
            let alternative = try term()
            if value == nil { value = alternative }
        }
        guard index == tokens.count else { throw unsupported() }
        return value ?? ""
    }

    /// One operand; nil stands for Ruby's nil (an unset variable).
    private mutating func term() throws -> String? {
        guard index < tokens.count else { throw unsupported() }
        let token = tokens[index]
        index += 1
        switch token {
        case .string(let literal): return literal
        case .identifier("nil"): return nil
        case .identifier("hostname"): return context.hostname
        case .identifier("worker_id"): return context.environment["SERVERENGINE_WORKER_ID"] ?? "0"
        case .identifier("Socket"):
            try expect(.punctuation("."))
            try expect(.identifier("gethostname"))
            return context.hostname
        case .identifier("ENV"):
            if next(is: .punctuation("[")) {
                let name = try stringLiteral()
                try expect(.punctuation("]"))
                return context.environment[name]
            }
            try expect(.punctuation("."))
            try expect(.identifier("fetch"))
            try expect(.punctuation("("))
            let name = try stringLiteral()
            if next(is: .punctuation(")")) {
                guard let value = context.environment[name] else {
                    throw ConfigError(
                        .invalidValue, at: location,
                        "environment variable \(name) is not set (needed by \"#{\(code)}\"); set it, or give a default: ENV.fetch('\(name)', 'default')")
                }
                return value
            }
            try expect(.punctuation(","))
            let fallback = try term()
            try expect(.punctuation(")"))
            return context.environment[name] ?? fallback
        default:
            throw unsupported()
        }
    }

    private mutating func next(is token: Token) -> Bool {
        guard index < tokens.count, tokens[index] == token else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ token: Token) throws {
        guard next(is: token) else { throw unsupported() }
    }

    private mutating func stringLiteral() throws -> String {
        guard index < tokens.count, case .string(let literal) = tokens[index] else { throw unsupported() }
        index += 1
        return literal
    }

    private func unsupported() -> ConfigError {
        ConfigError(
            .syntax, at: location,
            "only ENV lookups are supported in \"#{...}\" (ENV['NAME'], ENV.fetch('NAME', 'default'), Socket.gethostname), not \"#{\(code)}\"; put the value in an environment variable")
    }

    /// Splits the code into tokens; nil if it holds anything outside the supported vocabulary.
    static func tokenize(_ code: String) -> [Token]? {
        var tokens: [Token] = []
        let scalars = Array(code.unicodeScalars)
        var position = 0
        while position < scalars.count {
            let scalar = scalars[position]
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                position += 1
            } else if scalar == "'" || scalar == "\"" {
                var literal = String.UnicodeScalarView()
                position += 1
                while position < scalars.count, scalars[position] != scalar {
                    if scalars[position] == "\\", position + 1 < scalars.count {
                        position += 1
                    }
                    literal.append(scalars[position])
                    position += 1
                }
                guard position < scalars.count else { return nil }
                position += 1
                tokens.append(.string(String(literal)))
            } else if scalar.properties.isAlphabetic || scalar == "_" {
                var identifier = String.UnicodeScalarView()
                while position < scalars.count,
                    scalars[position].properties.isAlphabetic || scalars[position] == "_"
                        || ("0"..."9").contains(scalars[position])
                {
                    identifier.append(scalars[position])
                    position += 1
                }
                tokens.append(.identifier(String(identifier)))
            } else if scalar == "|", position + 1 < scalars.count, scalars[position + 1] == "|" {
                tokens.append(.punctuation("||"))
                position += 2
            } else if "[](),.".unicodeScalars.contains(scalar) {
                tokens.append(.punctuation(String(scalar)))
                position += 1
            } else {
                return nil
            }
        }
        return tokens
    }
}
