/// Parses the tokens of a `#{...}` into an expression, with Ruby's precedence (loosest first):
/// `;`, the `rescue` modifier, assignment, `?:`, `||`, `&&`, `+`, `!`, method calls.
///
/// As in Ruby, a name is a local variable only after an assignment to it appears in the code
/// (or when Fluentd predefines it: `hostname`, `worker_id`); any other bare name is an error.
struct EmbeddedRubyParser {
    typealias Token = EmbeddedRubyLexer.Token
    typealias Expression = EmbeddedRubyExpression

    private let tokens: [Token]
    private var index = 0
    private var locals: Set<String> = ["hostname", "worker_id"]

    static func parse(_ code: String) throws(EmbeddedRubySyntaxError) -> Expression {
        var parser = EmbeddedRubyParser(tokens: try EmbeddedRubyLexer.tokenize(code))
        let expression = try parser.sequence()
        if let extra = parser.peek() {
            throw EmbeddedRubySyntaxError("\(describe(extra)) where the code should end")
        }
        return expression
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    private func peek(_ offset: Int = 0) -> Token? {
        index + offset < tokens.count ? tokens[index + offset] : nil
    }

    private mutating func take(_ symbol: String) -> Bool {
        guard peek() == .symbol(symbol) else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ symbol: String, after what: String) throws(EmbeddedRubySyntaxError) {
        guard take(symbol) else {
            throw EmbeddedRubySyntaxError("\(peek().map(Self.describe) ?? "the end of the code") where '\(symbol)' should follow \(what)")
        }
    }

    /// Statements separated by `;`, up to the end or a closing parenthesis.
    private mutating func sequence() throws(EmbeddedRubySyntaxError) -> Expression {
        var statements: [Expression] = []
        while true {
            while take(";") {}
            guard let next = peek(), next != .symbol(")") else { break }
            statements.append(try statement())
            guard take(";") else { break }
        }
        switch statements.count {
        case 0: return .literal(.nil)
        case 1: return statements[0]
        default: return .sequence(statements)
        }
    }

    /// `a rescue b`, where `x = a rescue b` assigns `(a rescue b)`, as in Ruby.
    private mutating func statement() throws(EmbeddedRubySyntaxError) -> Expression {
        if case .identifier(let name)? = peek(), peek(1) == .symbol("="), !Self.keywords.contains(name) {
            index += 2
            // Ruby knows the name as a local from its assignment on (`x = x` is nil).
            locals.insert(name)
            return .assignment(name, try statement())
        }
        var expression = try conditional()
        while case .identifier("rescue")? = peek() {
            index += 1
            expression = .rescue(expression, try conditional())
        }
        return expression
    }

    private mutating func conditional() throws(EmbeddedRubySyntaxError) -> Expression {
        let condition = try or()
        guard take("?") else { return condition }
        let then = try conditional()
        try expect(":", after: "the '?' branch of a ternary")
        return .conditional(condition, then, try conditional())
    }

    private mutating func or() throws(EmbeddedRubySyntaxError) -> Expression {
        var expression = try and()
        while take("||") { expression = .or(expression, try and()) }
        return expression
    }

    private mutating func and() throws(EmbeddedRubySyntaxError) -> Expression {
        var expression = try plus()
        while take("&&") { expression = .and(expression, try plus()) }
        return expression
    }

    private mutating func plus() throws(EmbeddedRubySyntaxError) -> Expression {
        var expression = try unary()
        while take("+") { expression = .plus(expression, try unary()) }
        return expression
    }

    private mutating func unary() throws(EmbeddedRubySyntaxError) -> Expression {
        if take("!") { return .not(try unary()) }
        return try postfix()
    }

    /// A primary followed by `.to_s`, `.strip`, `.read`, `.ipv6?` ...
    private mutating func postfix() throws(EmbeddedRubySyntaxError) -> Expression {
        var expression = try primary()
        while take(".") {
            guard case .identifier(let name)? = peek() else {
                throw EmbeddedRubySyntaxError("\(peek().map(Self.describe) ?? "the end of the code") after '.' (expected a method name)")
            }
            guard let method = Expression.Method(rawValue: name) else {
                throw EmbeddedRubySyntaxError(
                    "the method '.\(name)' (supported methods: .to_s, .to_i, .strip, and .ipv4?/.ipv6? of IPAddr.new, .read of File.open)")
            }
            index += 1
            if take("(") { try expect(")", after: "'.\(name)('") }
            expression = .method(expression, method)
        }
        return expression
    }

    private mutating func primary() throws(EmbeddedRubySyntaxError) -> Expression {
        guard let token = peek() else { throw EmbeddedRubySyntaxError("the end of the code where a value should be") }
        index += 1
        switch token {
        case .string(let text): return .literal(.string(text))
        case .integer(let number): return .literal(.integer(number))
        case .float(let number): return .literal(.float(number))
        case .symbol("("):
            let inner = try sequence()
            try expect(")", after: "the code in parentheses")
            return inner
        case .identifier("nil"): return .literal(.nil)
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("use_default"): return .useDefault
        case .identifier("use_nil"): return .useNil
        case .identifier(let name) where locals.contains(name): return .variable(name)
        case .identifier(let name):
            throw EmbeddedRubySyntaxError("the name '\(name)' (not a local variable assigned before it, nor a supported method)")
        case .constant("ENV"): return try environment()
        case .constant("File"): return try file()
        case .constant("Socket"):
            try expectMethod("gethostname", of: "Socket")
            if take("(") { try expect(")", after: "'Socket.gethostname('") }
            return .hostname
        case .constant("IPAddr"):
            try expectMethod("new", of: "IPAddr")
            return .ipAddress(try singleArgument(of: "IPAddr.new"))
        case .constant(let name):
            throw EmbeddedRubySyntaxError("the constant '\(name)' (supported: ENV, File, Socket, IPAddr)")
        case .symbol(let symbol):
            throw EmbeddedRubySyntaxError("'\(symbol)' where a value should be")
        }
    }

    private mutating func environment() throws(EmbeddedRubySyntaxError) -> Expression {
        if take("[") {
            let name = try statement()
            try expect("]", after: "ENV[NAME")
            return .environment(name)
        }
        try expectMethod("fetch", of: "ENV")
        let arguments = try argumentList(of: "ENV.fetch")
        guard arguments.count == 1 || arguments.count == 2 else {
            throw EmbeddedRubySyntaxError("ENV.fetch with \(arguments.count) arguments (write ENV.fetch('NAME') or ENV.fetch('NAME', default))")
        }
        return .environmentFetch(arguments[0], default: arguments.count == 2 ? arguments[1] : nil)
    }

    private mutating func file() throws(EmbeddedRubySyntaxError) -> Expression {
        guard take("."), case .identifier(let name)? = peek() else {
            throw EmbeddedRubySyntaxError("'File' without a method (supported: File.join, File.read, File.open(...).read)")
        }
        index += 1
        switch name {
        case "join": return .fileJoin(try argumentList(of: "File.join"))
        case "read": return .fileRead(try singleArgument(of: "File.read"))
        case "open": return .fileOpen(try singleArgument(of: "File.open"))
        default:
            throw EmbeddedRubySyntaxError("the method 'File.\(name)' (supported: File.join, File.read, File.open(...).read)")
        }
    }

    private mutating func expectMethod(_ name: String, of receiver: String) throws(EmbeddedRubySyntaxError) {
        guard take("."), peek() == .identifier(name) else {
            let found = peek().map(Self.describe) ?? "the end of the code"
            throw EmbeddedRubySyntaxError("\(found) after '\(receiver)' (supported: \(receiver).\(name))")
        }
        index += 1
    }

    private mutating func singleArgument(of call: String) throws(EmbeddedRubySyntaxError) -> Expression {
        let arguments = try argumentList(of: call)
        guard arguments.count == 1 else {
            throw EmbeddedRubySyntaxError("\(call) with \(arguments.count) arguments (it takes one)")
        }
        return arguments[0]
    }

    /// `(a, b, ...)`; parentheses are required.
    private mutating func argumentList(of call: String) throws(EmbeddedRubySyntaxError) -> [Expression] {
        try expect("(", after: call)
        var arguments: [Expression] = []
        if take(")") { return arguments }
        repeat {
            arguments.append(try statement())
        } while take(",")
        try expect(")", after: "the arguments of \(call)")
        return arguments
    }

    static let keywords: Set<String> = ["nil", "true", "false", "rescue", "use_default", "use_nil"]

    static func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let name), .constant(let name): return "'\(name)'"
        case .string(let text): return "the string '\(text)'"
        case .integer(let number): return "the number \(number)"
        case .float(let number): return "the number \(number)"
        case .symbol(let symbol): return "'\(symbol)'"
        }
    }
}
