/// A parameter value as written: text, or Fluentd's `use_default` / `use_nil` from a `#{...}`.
enum ConfigLiteral: Equatable {
    case text(String)
    /// `"#{... use_default}"`: the parameter takes its default, as if it were not written.
    case useDefault
    /// `"#{... use_nil}"`: Fluentd sets the parameter to nil; Runnel treats it as not written.
    case useNil
}

/// The value forms of Fluentd's classic syntax (its `LiteralParser`): double-quoted strings with
/// escapes and `#{...}`, single-quoted strings, unquoted text, and JSON arrays and objects.
enum ConfigLiteralScanner {
    /// A parameter value at the cursor (blanks before it already skipped), up to but not
    /// including the end of the line.
    static func value(_ scanner: inout ConfigScanner, context: ConfigParseContext) throws -> ConfigLiteral {
        switch scanner.peek() {
        case "[", "{": return .text(try JSONLiteralScanner.scan(&scanner))
        case "\"": return try doubleQuoted(&scanner, context: context)
        case "'": return .text(try singleQuoted(&scanner))
        default: return .text(unquoted(&scanner, stopAtBlank: false))
        }
    }

    /// A key or `@include` path: quoted, or unquoted up to the first blank. `what` names it
    /// in the error if a `#{...}` in it says `use_default` or `use_nil`.
    static func word(_ scanner: inout ConfigScanner, context: ConfigParseContext, what: String) throws -> String {
        switch scanner.peek() {
        case "\"":
            let location = scanner.location()
            guard case .text(let text) = try doubleQuoted(&scanner, context: context) else {
                throw ConfigError(
                    .syntax, at: location, "use_default and use_nil stand for a parameter's value, not for \(what)")
            }
            return text
        case "'": return try singleQuoted(&scanner)
        default: return unquoted(&scanner, stopAtBlank: true)
        }
    }

    /// Unquoted text up to the end of the line. A `#` starts a comment only after a blank
    /// (Fluentd keeps `a#b` and `#b` whole, but ends `a #b` at `a`); trailing blanks are dropped.
    static func unquoted(_ scanner: inout ConfigScanner, stopAtBlank: Bool) -> String {
        var result = String.UnicodeScalarView()
        while let scalar = scanner.peek(), !ConfigScanner.isNewline(scalar) {
            if ConfigScanner.isBlank(scalar), stopAtBlank || scanner.restOfLineIsBlank(from: scanner.position) {
                break
            }
            result.append(scalar)
            scanner.advance()
        }
        return String(result)
    }

    static func singleQuoted(_ scanner: inout ConfigScanner) throws -> String {
        let begin = scanner.position
        scanner.advance()
        var result = String.UnicodeScalarView()
        while true {
            guard let scalar = scanner.advance() else {
                throw scanner.error("unterminated single-quoted string; add the closing \"'\"", at: begin)
            }
            if scalar == "'" { return String(result) }
            if scalar == "\\", scanner.peek() == "'" || scanner.peek() == "\\" {
                result.append(scanner.advance()!)
            } else {
                result.append(scalar)
            }
        }
    }

    /// A double-quoted string at the cursor, or (with `quoted: false`) the body of one that runs
    /// to the end of the text (YAML's `!fluent/s`).
    ///
    /// As in Fluentd's `scan_double_quoted_string`, a `#{...}` that says `use_nil` makes the whole
    /// value nil, else one that says `use_default` makes it the default.
    static func doubleQuoted(_ scanner: inout ConfigScanner, context: ConfigParseContext, quoted: Bool = true) throws
        -> ConfigLiteral
    {
        let begin = scanner.position
        if quoted { scanner.advance() }
        var result = ""
        var sawNil = false
        var sawDefault = false
        func finish() -> ConfigLiteral { sawNil ? .useNil : sawDefault ? .useDefault : .text(result) }
        while true {
            guard let scalar = scanner.peek() else {
                if !quoted { return finish() }
                throw scanner.error("unterminated double-quoted string; add the closing '\"'", at: begin)
            }
            if quoted, scalar == "\"" {
                scanner.advance()
                return finish()
            }
            if scalar == "\\" {
                guard let escaped = scanner.peek(1) else {
                    throw scanner.error("unterminated double-quoted string; add the closing '\"'", at: begin)
                }
                if ConfigScanner.isNewline(escaped) {
                    // A backslash at the end of a line joins it with the next one.
                    scanner.advance(2)
                    if escaped == "\r", scanner.peek() == "\n" { scanner.advance() }
                    continue
                }
                result.unicodeScalars.append(try unescape(escaped, scanner: scanner))
                scanner.advance(2)
            } else if scalar == "#", scanner.peek(1) == "{" {
                let location = scanner.location()
                let code = try embeddedCode(&scanner)
                switch try EmbeddedRubyEvaluator.evaluate(code, at: location, context: context) {
                case .text(let text): result.append(text)
                case .useDefault: sawDefault = true
                case .useNil: sawNil = true
                }
            } else {
                result.unicodeScalars.append(scalar)
                scanner.advance()
            }
        }
    }

    /// Fluentd's `eval_escape_char`: the usual control escapes, a symbol stands for itself
    /// (`\\`, `\"`, `\#`, `\$`), any other letter or digit is an error.
    private static func unescape(_ escaped: Unicode.Scalar, scanner: ConfigScanner) throws -> Unicode.Scalar {
        switch escaped {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "b": return "\u{08}"
        case "0": return "\u{00}"
        case let letter where letter.properties.isAlphabetic || ("0"..."9").contains(letter):
            throw scanner.error(
                "unknown escape '\\\(letter)' in a double-quoted string (known: \\n \\t \\r \\f \\b \\0 \\\" \\\\ \\#); write '\\\\\(letter)' for a backslash")
        default: return escaped
        }
    }

    /// The code of a `#{...}` at the cursor, which is left after the closing brace.
    private static func embeddedCode(_ scanner: inout ConfigScanner) throws -> String {
        let begin = scanner.position
        scanner.advance(2)
        let codeStart = scanner.position
        var depth = 0
        var quote: Unicode.Scalar?
        while let scalar = scanner.advance() {
            if let open = quote {
                if scalar == "\\" {
                    scanner.advance()
                } else if scalar == open {
                    quote = nil
                }
                continue
            }
            switch scalar {
            case "'", "\"": quote = scalar
            case "{": depth += 1
            case "}":
                if depth == 0 { return scanner.text(from: codeStart, to: scanner.position - 1) }
                depth -= 1
            default: break
            }
        }
        throw scanner.error("unterminated '#{' in a double-quoted string; add the closing '}'", at: begin)
    }
}
