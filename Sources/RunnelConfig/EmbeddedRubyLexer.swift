/// Splits the code of a `#{...}` into tokens of the Ruby subset Runnel evaluates. Anything
/// outside it (symbols, regular expressions, `::`, backquotes) is an unsupported-syntax error.
struct EmbeddedRubyLexer {
    enum Token: Equatable {
        /// A name starting with a lowercase letter or `_` (a local, a method, `nil`, `true`);
        /// after a `.` it may end in `?` (`ipv6?`).
        case identifier(String)
        /// A name starting with an uppercase letter (`ENV`, `File`, `IPAddr`).
        case constant(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// Operators and punctuation: `|| && ! ? : + ( ) [ ] , . ; =` and, to name them in
        /// errors, `== != =~ - * / < >`.
        case symbol(String)
    }

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var tokens: [Token] = []

    /// The tokens of `code`, or the reason it cannot be tokenized.
    static func tokenize(_ code: String) throws(EmbeddedRubySyntaxError) -> [Token] {
        var lexer = EmbeddedRubyLexer(scalars: Array(code.unicodeScalars))
        try lexer.run()
        return lexer.tokens
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func run() throws(EmbeddedRubySyntaxError) {
        while let scalar = peek() {
            switch scalar {
            case " ", "\t", "\n", "\r":
                position += 1
            case "'":
                tokens.append(.string(try singleQuoted()))
            case "\"":
                tokens.append(.string(try doubleQuoted()))
            case "0"..."9":
                tokens.append(try number())
            case "-" where peek(1).map({ ("0"..."9").contains($0) }) == true && !lastTokenIsOperand:
                position += 1
                switch try number() {
                case .integer(let value): tokens.append(.integer(-value))
                case .float(let value): tokens.append(.float(-value))
                default: break
                }
            case _ where scalar.properties.isAlphabetic || scalar == "_":
                tokens.append(name())
            default:
                tokens.append(try symbol())
            }
        }
    }

    /// True when the last token ends an operand, so a `-` after it is subtraction, not a sign.
    private var lastTokenIsOperand: Bool {
        switch tokens.last {
        case .identifier?, .constant?, .string?, .integer?, .float?: return true
        case .symbol(")")?, .symbol("]")?: return true
        default: return false
        }
    }

    private mutating func name() -> Token {
        var text = String.UnicodeScalarView()
        while let scalar = peek(), scalar.properties.isAlphabetic || scalar == "_" || ("0"..."9").contains(scalar) {
            text.append(scalar)
            position += 1
        }
        // A method name after `.` may end in `?` (`ipv6?`); elsewhere `?` starts a ternary.
        if tokens.last == .symbol("."), peek() == "?", peek(1) != "=" {
            text.append("?")
            position += 1
        }
        let name = String(text)
        return name.unicodeScalars.first!.properties.isUppercase ? .constant(name) : .identifier(name)
    }

    private mutating func number() throws(EmbeddedRubySyntaxError) -> Token {
        var text = ""
        func digits(_ lexer: inout EmbeddedRubyLexer) {
            while let scalar = lexer.peek(), ("0"..."9").contains(scalar) || (scalar == "_" && lexer.peek(1).map { ("0"..."9").contains($0) } == true) {
                if scalar != "_" { text.unicodeScalars.append(scalar) }
                lexer.position += 1
            }
        }
        digits(&self)
        var isFloat = false
        // `1.5` is a float; `1.to_s` is a method call on 1.
        if peek() == ".", let next = peek(1), ("0"..."9").contains(next) {
            isFloat = true
            text.append(".")
            position += 1
            digits(&self)
        }
        if peek() == "e" || peek() == "E", let next = peek(1),
            ("0"..."9").contains(next) || ((next == "-" || next == "+") && peek(2).map { ("0"..."9").contains($0) } == true)
        {
            isFloat = true
            text.append("e")
            text.unicodeScalars.append(next)
            position += 2
            digits(&self)
        }
        if let scalar = peek(), scalar.properties.isAlphabetic || scalar == "_" {
            throw EmbeddedRubySyntaxError("the number '\(text)\(scalar)...' (only decimal integers and floats such as 10, 1.5, 2e3 are supported)")
        }
        if isFloat, let value = Double(text) { return .float(value) }
        guard let value = Int(text) else {
            throw EmbeddedRubySyntaxError("the integer \(text) is too large")
        }
        return .integer(value)
    }

    private mutating func singleQuoted() throws(EmbeddedRubySyntaxError) -> String {
        position += 1
        var text = String.UnicodeScalarView()
        while let scalar = peek() {
            position += 1
            if scalar == "'" { return String(text) }
            // Ruby's single quotes know only two escapes: \' and \\.
            if scalar == "\\", let next = peek(), next == "'" || next == "\\" {
                text.append(next)
                position += 1
            } else {
                text.append(scalar)
            }
        }
        throw EmbeddedRubySyntaxError("an unterminated single-quoted string")
    }

    private mutating func doubleQuoted() throws(EmbeddedRubySyntaxError) -> String {
        position += 1
        var text = String.UnicodeScalarView()
        while let scalar = peek() {
            position += 1
            switch scalar {
            case "\"":
                return String(text)
            case "#" where peek() == "{" || peek() == "@" || peek() == "$":
                throw EmbeddedRubySyntaxError("interpolation inside a string in #{...} (use + to join strings)")
            case "\\":
                text.append(try escape())
            default:
                text.append(scalar)
            }
        }
        throw EmbeddedRubySyntaxError("an unterminated double-quoted string")
    }

    /// Ruby's double-quoted escapes; the backslash is already consumed.
    private mutating func escape() throws(EmbeddedRubySyntaxError) -> Unicode.Scalar {
        guard let scalar = peek() else { throw EmbeddedRubySyntaxError("an unterminated double-quoted string") }
        position += 1
        switch scalar {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "v": return "\u{0B}"
        case "b": return "\u{08}"
        case "a": return "\u{07}"
        case "e": return "\u{1B}"
        case "s": return " "
        case "0"..."7":
            var value = scalar.value - 48
            for _ in 0..<2 {
                guard let digit = peek(), ("0"..."7").contains(digit) else { break }
                value = value * 8 + digit.value - 48
                position += 1
            }
            return Unicode.Scalar(value)!
        case "x":
            guard let value = hexDigits(maximum: 2, minimum: 1) else {
                throw EmbeddedRubySyntaxError("an invalid \\x escape (write \\xHH)")
            }
            return Unicode.Scalar(value)!
        case "u":
            if peek() == "{" {
                position += 1
                guard let value = hexDigits(maximum: 6, minimum: 1), peek() == "}", let result = Unicode.Scalar(value) else {
                    throw EmbeddedRubySyntaxError("an invalid \\u{...} escape")
                }
                position += 1
                return result
            }
            guard let value = hexDigits(maximum: 4, minimum: 4), let result = Unicode.Scalar(value) else {
                throw EmbeddedRubySyntaxError("an invalid \\u escape (write \\uHHHH or \\u{H...})")
            }
            return result
        default:
            // `\\`, `\"`, `\#` and any other character stand for themselves, as in Ruby.
            return scalar
        }
    }

    private mutating func hexDigits(maximum: Int, minimum: Int) -> UInt32? {
        var value: UInt32 = 0
        var count = 0
        while count < maximum, let scalar = peek(), scalar.isASCII, let digit = UInt32(String(scalar), radix: 16) {
            value = value * 16 + digit
            count += 1
            position += 1
        }
        return count >= minimum ? value : nil
    }

    private mutating func symbol() throws(EmbeddedRubySyntaxError) -> Token {
        let scalar = peek()!
        let next = peek(1)
        for pair in ["||", "&&", "==", "!=", "=~", "::", "**", "<=", ">=", "<<"] {
            let parts = Array(pair.unicodeScalars)
            if scalar == parts[0], next == parts[1] {
                position += 2
                return .symbol(pair)
            }
        }
        if "!?:+()[],.;=-*/<>%|&{}".unicodeScalars.contains(scalar) {
            position += 1
            return .symbol(String(scalar))
        }
        throw EmbeddedRubySyntaxError("the character '\(scalar)'")
    }
}

/// Code in `#{...}` that is outside the Ruby subset Runnel evaluates; `what` names the part.
struct EmbeddedRubySyntaxError: Error, Equatable {
    var what: String

    init(_ what: String) {
        self.what = what
    }
}
