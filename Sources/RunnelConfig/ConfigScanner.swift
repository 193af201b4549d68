/// A cursor over configuration text, one Unicode scalar at a time, that knows the line and
/// column of every position (columns count Unicode scalars, 1-based, like libyaml's marks).
struct ConfigScanner {
    let file: String
    private let scalars: [Unicode.Scalar]
    /// The index in `scalars` where each line starts.
    private let lineStarts: [Int]
    private(set) var position = 0

    init(text: String, file: String) {
        self.file = file
        var scalars = Array(text.unicodeScalars)
        // A byte-order mark some editors write is not part of the first key.
        if scalars.first == "\u{FEFF}" { scalars[0] = " " }
        self.scalars = scalars
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" {
            starts.append(index + 1)
        }
        self.lineStarts = starts
    }

    var isAtEnd: Bool { position >= scalars.count }

    /// The scalar `offset` places ahead, or nil past the end.
    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let index = position + offset
        return index < scalars.count ? scalars[index] : nil
    }

    /// True when the text at the cursor starts with `literal`.
    func looksAt(_ literal: String) -> Bool {
        var offset = 0
        for scalar in literal.unicodeScalars {
            guard peek(offset) == scalar else { return false }
            offset += 1
        }
        return true
    }

    @discardableResult
    mutating func advance(_ count: Int = 1) -> Unicode.Scalar? {
        let current = peek()
        position = min(position + count, scalars.count)
        return current
    }

    /// Consumes `literal` if the text at the cursor starts with it.
    mutating func skip(_ literal: String) -> Bool {
        guard looksAt(literal) else { return false }
        advance(literal.unicodeScalars.count)
        return true
    }

    /// Where the cursor (or another position) is.
    func location(at index: Int? = nil) -> SourceLocation {
        let index = index ?? position
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(file: file, line: low + 1, column: index - lineStarts[low] + 1)
    }

    /// The text between two positions.
    func text(from start: Int, to end: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[max(0, start)..<min(end, scalars.count)])
        return String(result)
    }

    /// A short quote of the text at the cursor for messages: the rest of the line, shortened.
    func excerpt(at index: Int? = nil, limit: Int = 40) -> String {
        let start = index ?? position
        guard start < scalars.count else { return "end of file" }
        var end = start
        while end < scalars.count, scalars[end] != "\n", scalars[end] != "\r", end - start < limit { end += 1 }
        let quoted = text(from: start, to: end)
        return "'\(quoted)'"
    }

    func error(_ message: String, at index: Int? = nil) -> ConfigError {
        ConfigError(.syntax, at: location(at: index), message)
    }

    // MARK: Fluentd's spacing rules (BasicParser's SPACING and LINE_END)

    static func isBlank(_ scalar: Unicode.Scalar?) -> Bool { scalar == " " || scalar == "\t" }

    static func isNewline(_ scalar: Unicode.Scalar?) -> Bool { scalar == "\n" || scalar == "\r" }

    /// Skips spaces, tabs, newlines and `#` comments (SPACING).
    mutating func skipSpacing() {
        while let scalar = peek() {
            if Self.isBlank(scalar) || Self.isNewline(scalar) {
                advance()
            } else if scalar == "#" {
                skipToEndOfLine()
            } else {
                return
            }
        }
    }

    /// Skips spaces and tabs only.
    mutating func skipBlanks() {
        while Self.isBlank(peek()) { advance() }
    }

    mutating func skipToEndOfLine() {
        while let scalar = peek(), !Self.isNewline(scalar) { advance() }
    }

    /// True if, from `index`, only blanks and an optional comment remain before the end of the line.
    func restOfLineIsBlank(from index: Int) -> Bool {
        var index = index
        while index < scalars.count, Self.isBlank(scalars[index]) { index += 1 }
        return index >= scalars.count || Self.isNewline(scalars[index]) || scalars[index] == "#"
    }

    /// Consumes the end of a line: blanks, an optional comment, and the newline (LINE_END).
    /// Returns false, consuming nothing, if something else is on the line.
    mutating func skipLineEnd() -> Bool {
        guard restOfLineIsBlank(from: position) else { return false }
        skipToEndOfLine()
        if peek() == "\r" { advance() }
        if peek() == "\n" { advance() }
        return true
    }
}
