/// Evaluates the `#{...}` of a double-quoted configuration string. Fluentd runs the code as Ruby;
/// Runnel has no Ruby runtime, and evaluates a small, safe subset of its own with Ruby's
/// semantics (truthiness, `to_s`, exceptions and `rescue`):
///
/// - literals: `'single'` and `"double"` quoted strings (Ruby escapes), integers, floats,
///   `true`, `false`, `nil`;
/// - `ENV['X']`, `ENV["X"]` (nil if unset), `ENV.fetch('X')` (raises KeyError if unset),
///   `ENV.fetch('X', default)`;
/// - `||`, `&&`, `!`, `a ? b : c`, `+` on strings, parentheses, `;`-separated statements,
///   local variables (`host = ...; port = ...; 'https://' + host + ':' + port`), `expr rescue fallback`;
/// - `File.join(a, ...)`, `File.read(p)`, `File.open(p).read`, `Socket.gethostname`,
///   `IPAddr.new(s).ipv4?` / `.ipv6?` (an invalid address raises), `.to_s`, `.to_i`, `.strip`;
/// - the locals Fluentd defines: `hostname`, `worker_id` (`SERVERENGINE_WORKER_ID`, else 0: Runnel runs one worker);
/// - Fluentd's `use_default` and `use_nil` (the parameter as if it were not written).
///
/// As in Fluentd, the value is turned into a string with `to_s` (nil becomes empty, true
/// becomes "true"). Anything else is an error naming the file, line and code.
struct EmbeddedRubyEvaluator {
    let environment: [String: String]
    let hostname: String
    private var locals: [String: EmbeddedRubyValue]

    init(environment: [String: String], hostname: String) {
        self.environment = environment
        self.hostname = hostname
        // Fluentd runs `hostname = Socket.gethostname; worker_id = ENV['SERVERENGINE_WORKER_ID'] || ''`
        // before the code; its one worker has the id 0.
        self.locals = [
            "hostname": .string(hostname),
            "worker_id": .string(environment["SERVERENGINE_WORKER_ID"] ?? "0"),
        ]
    }

    /// What a `#{...}` contributes to its string.
    enum Result: Equatable {
        case text(String)
        case useDefault
        case useNil
    }

    /// Why evaluation stopped: a Ruby exception (`rescue` catches it), Fluentd's
    /// `use_default`/`use_nil` (which, like Fluentd's SetDefault/SetNil, `rescue` does not
    /// catch), or something Runnel does not evaluate.
    enum Interrupt: Error, Equatable {
        case raised(EmbeddedRubyException)
        case useDefault
        case useNil
        case unsupported(String)
    }

    static let supported =
        "Runnel evaluates only: string, integer, float, true, false and nil literals; ENV['X'], ENV.fetch('X'), ENV.fetch('X', default); ||, &&, !, a ? b : c, + on strings, parentheses; ';' between statements and local variables (x = ...); expr rescue fallback; File.join(...), File.read(path), File.open(path).read; Socket.gethostname; IPAddr.new(s).ipv4? and .ipv6?; .to_s, .to_i, .strip; use_default, use_nil"

    /// The value `code` stands for in the string it was written in.
    static func evaluate(_ code: String, at location: SourceLocation, context: ConfigParseContext) throws -> Result {
        var evaluator = EmbeddedRubyEvaluator(environment: context.environment, hostname: context.hostname)
        let quoted = "\"#{\(code)}\""
        let expression: EmbeddedRubyExpression
        do {
            expression = try EmbeddedRubyParser.parse(code)
        } catch {
            throw ConfigError(
                .syntax, at: location,
                "\(quoted): unsupported Ruby: \(error.what). \(supported); put any other value in an environment variable")
        }
        do {
            let value = try evaluator.evaluate(expression)
            guard let text = value.rubyString else {
                throw Interrupt.unsupported(
                    "the \(value.className) object itself cannot be used as text (call .read on File.open, .ipv4? or .ipv6? on IPAddr.new)")
            }
            return .text(text)
        } catch Interrupt.useDefault {
            return .useDefault
        } catch Interrupt.useNil {
            return .useNil
        } catch Interrupt.raised(let exception) {
            throw ConfigError(.invalidValue, at: location, "\(quoted) raised \(exception.className): \(exception.message); \(hint(for: exception))")
        } catch Interrupt.unsupported(let what) {
            throw ConfigError(.syntax, at: location, "\(quoted): \(what). \(supported)")
        }
    }

    private static func hint(for exception: EmbeddedRubyException) -> String {
        if exception.className == "KeyError" {
            return "set the environment variable, or give a default: ENV.fetch('NAME', 'default'), or add 'rescue FALLBACK'"
        }
        return "fix the value, or add 'rescue FALLBACK' to the code"
    }

    mutating func evaluate(_ expression: EmbeddedRubyExpression) throws(Interrupt) -> EmbeddedRubyValue {
        switch expression {
        case .literal(let value):
            return value
        case .variable(let name):
            return locals[name] ?? .nil
        case .assignment(let name, let value):
            let result = try evaluate(value)
            locals[name] = result
            return result
        case .sequence(let statements):
            var result = EmbeddedRubyValue.nil
            for statement in statements { result = try evaluate(statement) }
            return result
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .not(let operand):
            return .bool(!(try evaluate(operand)).isTruthy)
        case .conditional(let condition, let then, let otherwise):
            return try evaluate(condition).isTruthy ? try evaluate(then) : try evaluate(otherwise)
        case .plus(let left, let right):
            return try plus(try evaluate(left), try evaluate(right))
        case .rescue(let body, let fallback):
            do {
                return try evaluate(body)
            } catch .raised {
                return try evaluate(fallback)
            }
        case .environment(let name):
            return environment[try environmentName(name)].map(EmbeddedRubyValue.string) ?? .nil
        case .environmentFetch(let name, let fallback):
            let key = try environmentName(name)
            // Ruby evaluates every argument before the call, the default too.
            let defaultValue = try fallback.map { (expression) throws(Interrupt) in try evaluate(expression) }
            if let value = environment[key] { return .string(value) }
            if let defaultValue { return defaultValue }
            throw .raised(EmbeddedRubyException(className: "KeyError", message: "key not found: \"\(key)\""))
        case .fileJoin(let parts):
            var strings: [String] = []
            for part in parts {
                let value = try evaluate(part)
                guard case .string(let text) = value else { throw .raised(.noConversion(of: value)) }
                strings.append(text)
            }
            return .string(Self.fileJoin(strings))
        case .fileRead(let path):
            return .string(try Self.readFile(try pathArgument(path)))
        case .fileOpen(let path):
            let path = try pathArgument(path)
            _ = try Self.readFile(path)  // File.open raises at once if the file cannot be opened.
            return .file(path: path)
        case .hostname:
            return .string(hostname)
        case .ipAddress(let address):
            let value = try evaluate(address)
            guard case .string(let text) = value else { throw .raised(.noConversion(of: value)) }
            guard let isIPv6 = Self.ipAddressFamily(text) else {
                throw .raised(EmbeddedRubyException(className: "IPAddr::InvalidAddressError", message: "invalid address: \(text)"))
            }
            return .ipAddress(isIPv6: isIPv6)
        case .method(let receiver, let method):
            return try call(method, on: try evaluate(receiver))
        case .useDefault:
            throw .useDefault
        case .useNil:
            throw .useNil
        }
    }

    private func plus(_ left: EmbeddedRubyValue, _ right: EmbeddedRubyValue) throws(Interrupt) -> EmbeddedRubyValue {
        switch (left, right) {
        case (.string(let a), .string(let b)): return .string(a + b)
        case (.string, _): throw .raised(.noConversion(of: right))
        case (.nil, _), (.bool, _), (.ipAddress, _), (.file, _): throw .raised(.noMethod("+", for: left))
        default: throw .unsupported("'+' on numbers (only strings can be joined with +)")
        }
    }

    private mutating func environmentName(_ expression: EmbeddedRubyExpression) throws(Interrupt) -> String {
        let value = try evaluate(expression)
        guard case .string(let name) = value else { throw .raised(.noConversion(of: value)) }
        return name
    }

    private mutating func pathArgument(_ expression: EmbeddedRubyExpression) throws(Interrupt) -> String {
        let value = try evaluate(expression)
        guard case .string(let path) = value else { throw .raised(.noConversion(of: value)) }
        return path
    }

    private func call(_ method: EmbeddedRubyExpression.Method, on value: EmbeddedRubyValue) throws(Interrupt) -> EmbeddedRubyValue {
        switch (method, value) {
        case (.toS, _):
            guard let text = value.rubyString else {
                throw .unsupported("'.to_s' of \(value.className) (Runnel does not reproduce it)")
            }
            return .string(text)
        case (.toI, .string(let text)): return .integer(try Self.rubyInteger(text))
        case (.toI, .integer): return value
        case (.toI, .float(let number)):
            guard number.isFinite else {
                throw .raised(EmbeddedRubyException(className: "FloatDomainError", message: EmbeddedRubyValue.rubyFloat(number)))
            }
            guard let integer = Int(exactly: number.rounded(.towardZero)) else {
                throw .unsupported("\(number).to_i is too large")
            }
            return .integer(integer)
        case (.toI, .nil): return .integer(0)
        case (.strip, .string(let text)): return .string(Self.rubyStrip(text))
        case (.read, .file(let path)): return .string(try Self.readFile(path))
        case (.isIPv4, .ipAddress(let isIPv6)): return .bool(!isIPv6)
        case (.isIPv6, .ipAddress(let isIPv6)): return .bool(isIPv6)
        default: throw .raised(.noMethod(method.rawValue, for: value))
        }
    }
}
