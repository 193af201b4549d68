/// How `ConfigElement.dump()` writes a value so that parsing the dump gives the value back:
/// plain when the classic parser would read it unchanged, double-quoted with escapes otherwise.
enum ConfigDumpQuoting {
    static func classic(_ value: String) -> String {
        needsQuotes(value) ? quoted(value) : value
    }

    /// A key is read up to the first blank, and a line starting with `#` or `<` is not a parameter.
    static func key(_ key: String) -> String {
        guard let first = key.unicodeScalars.first else { return "\"\"" }
        let plain =
            !"\"'#<".unicodeScalars.contains(first)
            && !key.unicodeScalars.contains { ConfigScanner.isBlank($0) || ConfigScanner.isNewline($0) }
        return plain ? key : quoted(key)
    }

    static func needsQuotes(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last else { return false }
        if first == "\"" || first == "'" || ConfigScanner.isBlank(first) || ConfigScanner.isBlank(last) { return true }
        if value.unicodeScalars.contains(where: { ConfigScanner.isNewline($0) }) { return true }
        if value.contains(" #") || value.contains("\t#") { return true }
        if first == "[" || first == "{" {
            var scanner = ConfigScanner(text: value, file: "")
            guard let json = try? JSONLiteralScanner.scan(&scanner), scanner.isAtEnd, json == value else { return true }
        }
        return false
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{0C}": result += "\\f"
            case "\u{08}": result += "\\b"
            case "\u{00}": result += "\\0"
            case "#": result += "\\#"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
