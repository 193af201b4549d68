import Foundation

/// A Fluentd tag pattern, as in `<match a.* b.**>`.
///
/// Follows Fluentd's `GlobMatchPattern` exactly: `*` matches one tag part, `**` zero or more
/// parts (`a.**` matches `a` and `a.b.c`), `{x,y}` either alternative (and may contain globs),
/// `\` escapes the next character, and a pattern written as `/regexp/` is a regular expression.
/// Several space-separated patterns in one directive are an `OrTagPattern`.
public struct TagPattern: Sendable, CustomStringConvertible {
    public let source: String
    private let matcher: Matcher

    /// `**` matches everything (Fluentd's AllMatchPattern) and a plain tag only itself, without a regex.
    private enum Matcher: Sendable {
        case all
        case literal(String)
        case regex(RubyRegex)
    }

    public init(_ pattern: String) throws {
        self.source = pattern
        if pattern == "**" {
            matcher = .all
            return
        }
        if !pattern.isEmpty, pattern.utf8.allSatisfy(TagPattern.isLiteralByte), pattern.first != ".",
            pattern.last != ".", !pattern.contains("..")
        {
            matcher = .literal(pattern)
            return
        }
        let expression = try TagPattern.regularExpression(for: pattern)
        do {
            matcher = .regex(try RubyRegex(pattern: expression, flags: []))
        } catch {
            throw TagPatternError(pattern: pattern, reason: "not a valid regular expression")
        }
    }

    /// Fluentd's `Regexp#match`: a match anywhere counts. Glob patterns are anchored with `\A...\z`
    /// themselves; a `/regexp/` pattern is only as anchored as its alternatives are (`/a|b/` matches `xb`).
    public func matches(_ tag: String) -> Bool {
        switch matcher {
        case .all: return true
        case .literal(let literal): return tag == literal
        case .regex(let regex):
            return regex.matches(tag)
        }
    }

    private static func isLiteralByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    public var description: String { source }

    /// Translates a glob pattern to the regular expression Fluentd builds for it.
    static func regularExpression(for pattern: String) throws -> String {
        let chars = Array(pattern)
        if chars.first == "/" {
            guard chars.count >= 2, chars.last == "/" else {
                throw TagPatternError(pattern: pattern, reason: "a regexp pattern must end with '/'")
            }
            return "\\A" + String(chars[1..<(chars.count - 1)]) + "\\z"
        }
        var stack: [[String]] = []
        var regex: [String] = [""]
        var dot = false
        var i = 0
        var escape = false
        while i < chars.count {
            let c = chars[i]
            if escape {
                regex[regex.count - 1] += RubyRegex.escaped(String(c))
                escape = false
                i += 1
                continue
            } else if c == "*" && i + 1 < chars.count && chars[i + 1] == "*" {
                if dot {
                    regex[regex.count - 1] += "(?![^\\.])"
                    dot = false
                }
                if i + 2 < chars.count && chars[i + 2] == "." {
                    regex[regex.count - 1] += "(?:.*\\.|\\A)"
                    i += 3
                } else {
                    regex[regex.count - 1] += ".*"
                    i += 2
                }
                continue
            } else if dot {
                regex[regex.count - 1] += "\\."
                dot = false
            }

            // As in Fluentd, a pending "." is written before the escaped character (`a.\\b` is `a\.b`).
            if c == "\\" {
                escape = true
            } else if c == "." {
                dot = true
            } else if c == "*" {
                regex[regex.count - 1] += "[^\\.]*"
            } else if c == "{" {
                stack.append([])
                regex.append("")
            } else if c == "}" && !stack.isEmpty {
                stack[stack.count - 1].append(regex.removeLast())
                let alternatives = stack.removeLast()
                regex[regex.count - 1] += "(?:" + alternatives.map { "(?:\($0))" }.joined(separator: "|") + ")"
            } else if c == "," && !stack.isEmpty {
                stack[stack.count - 1].append(regex.removeLast())
                regex.append("")
            } else if c.isASCII && (c.isLetter || c.isNumber || c == "_") {
                regex[regex.count - 1].append(c)
            } else {
                regex[regex.count - 1] += "\\" + String(c)
            }
            i += 1
        }
        while !stack.isEmpty {
            stack[stack.count - 1].append(regex.removeLast())
            let alternatives = stack.removeLast()
            regex[regex.count - 1] += "(?:" + alternatives.map { "(?:\($0))" }.joined(separator: "|") + ")"
        }
        return "\\A" + regex[regex.count - 1] + "\\z"
    }
}

/// The patterns of one `<match>` or `<filter>` directive: matches when any of them does.
public struct OrTagPattern: Sendable, CustomStringConvertible {
    public let patterns: [TagPattern]

    /// Parses a directive argument such as `app.** system.{a,b}`; an empty argument means `**`.
    public init(_ argument: String) throws {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        patterns = try (words.isEmpty ? ["**"] : words).map(TagPattern.init)
    }

    public func matches(_ tag: String) -> Bool { patterns.contains { $0.matches(tag) } }

    public var description: String { patterns.map(\.source).joined(separator: " ") }
}

public struct TagPatternError: Error, Sendable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "invalid tag pattern '\(pattern)': \(reason)" }
}
