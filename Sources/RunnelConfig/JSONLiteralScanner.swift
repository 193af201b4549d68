/// Reads a JSON array or object written as a parameter value, which may run over several lines
/// and carry `#` comments between elements (Fluentd's `scan_json`), and returns it compact, as
/// Fluentd does (`JSON.dump`): `[ "a", "b" ]` becomes `["a","b"]`.
struct JSONLiteralScanner {
    static let maximumDepth = 256

    private var scanner: ConfigScanner
    private let start: Int
    private var output = ""

    /// Reads the JSON value at the scanner's cursor (a `[` or `{`) and moves the cursor past it.
    static func scan(_ scanner: inout ConfigScanner) throws -> String {
        var json = JSONLiteralScanner(scanner: scanner, start: scanner.position)
        try json.value(depth: 0)
        scanner = json.scanner
        return json.output
    }

    private init(scanner: ConfigScanner, start: Int) {
        self.scanner = scanner
        self.start = start
    }

    private var kind: String { scanner.text(from: start, to: start + 1) == "[" ? "array" : "object" }

    private func failure(_ expected: String) -> ConfigError {
        let found = scanner.isAtEnd ? "end of file" : scanner.excerpt(limit: 20)
        let opened = scanner.location(at: start)
        return scanner.error(
            "invalid JSON \(kind) (started at line \(opened.line), column \(opened.column)): expected \(expected), found \(found); quote the value if it is not JSON"
        )
    }

    /// Whitespace, newlines and `#` comments between JSON tokens.
    private mutating func skipSpace() {
        scanner.skipSpacing()
    }

    private mutating func value(depth: Int) throws {
        guard depth < Self.maximumDepth else { throw failure("at most \(Self.maximumDepth) levels of nesting") }
        skipSpace()
        switch scanner.peek() {
        case "[": try sequence(open: "[", close: "]", depth: depth) { try $0.value(depth: depth + 1) }
        case "{":
            try sequence(open: "{", close: "}", depth: depth) { json in
                json.skipSpace()
                guard json.scanner.peek() == "\"" else { throw json.failure("a string key") }
                try json.string()
                json.skipSpace()
                guard json.scanner.skip(":") else { throw json.failure("':'") }
                json.output.append(":")
                try json.value(depth: depth + 1)
            }
        case "\"": try string()
        case "t": try word("true")
        case "f": try word("false")
        case "n": try word("null")
        case let scalar? where scalar == "-" || ("0"..."9").contains(scalar): try number()
        default: throw failure("a JSON value")
        }
    }

    private mutating func sequence(
        open: Unicode.Scalar, close: Unicode.Scalar, depth: Int, element: (inout JSONLiteralScanner) throws -> Void
    ) throws {
        scanner.advance()
        output.unicodeScalars.append(open)
        skipSpace()
        if scanner.peek() == close {
            scanner.advance()
            output.unicodeScalars.append(close)
            return
        }
        while true {
            try element(&self)
            skipSpace()
            if scanner.peek() == "," {
                scanner.advance()
                output.append(",")
                continue
            }
            guard scanner.peek() == close else { throw failure("',' or '\(close)'") }
            scanner.advance()
            output.unicodeScalars.append(close)
            return
        }
    }

    private mutating func word(_ literal: String) throws {
        guard scanner.skip(literal) else { throw failure("a JSON value") }
        output.append(literal)
    }

    private mutating func number() throws {
        let begin = scanner.position
        func digits(_ json: inout JSONLiteralScanner) -> Int {
            var count = 0
            while let scalar = json.scanner.peek(), ("0"..."9").contains(scalar) {
                json.scanner.advance()
                count += 1
            }
            return count
        }
        _ = scanner.skip("-")
        guard digits(&self) > 0 else { throw failure("a digit") }
        if scanner.skip("."), digits(&self) == 0 { throw failure("a digit after '.'") }
        if scanner.peek() == "e" || scanner.peek() == "E" {
            scanner.advance()
            if scanner.peek() == "+" || scanner.peek() == "-" { scanner.advance() }
            guard digits(&self) > 0 else { throw failure("a digit in the exponent") }
        }
        output.append(scanner.text(from: begin, to: scanner.position))
    }

    private mutating func string() throws {
        let begin = scanner.position
        scanner.advance()
        var decoded = String.UnicodeScalarView()
        while true {
            guard let scalar = scanner.advance(), !ConfigScanner.isNewline(scalar) else {
                throw scanner.error("unterminated string in JSON \(kind)", at: begin)
            }
            if scalar == "\"" { break }
            guard scalar == "\\" else {
                decoded.append(scalar)
                continue
            }
            switch scanner.advance() {
            case "\"": decoded.append("\"")
            case "\\": decoded.append("\\")
            case "/": decoded.append("/")
            case "b": decoded.append("\u{08}")
            case "f": decoded.append("\u{0C}")
            case "n": decoded.append("\n")
            case "r": decoded.append("\r")
            case "t": decoded.append("\t")
            case "u": decoded.append(try unicodeEscape())
            default: throw failure("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
        }
        output.append(Self.quoted(String(decoded)))
    }

    private mutating func hexQuad() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let scalar = scanner.advance(), let digit = Int(String(scalar), radix: 16) else {
                throw failure("four hex digits after \\u")
            }
            value = value * 16 + UInt32(digit)
        }
        return value
    }

    private mutating func unicodeEscape() throws -> Unicode.Scalar {
        let high = try hexQuad()
        if (0xD800...0xDBFF).contains(high), scanner.skip("\\u") {
            let low = try hexQuad()
            let combined = 0x10000 + ((high - 0xD800) << 10) + (low &- 0xDC00)
            if (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(combined) { return scalar }
        }
        return Unicode.Scalar(high) ?? "\u{FFFD}"
    }

    /// A JSON string literal for `text`, escaped the way Ruby's JSON generator does.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result.append("\\\"")
            case "\\": result.append("\\\\")
            case "\n": result.append("\\n")
            case "\r": result.append("\\r")
            case "\t": result.append("\\t")
            case "\u{08}": result.append("\\b")
            case "\u{0C}": result.append("\\f")
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                result.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
