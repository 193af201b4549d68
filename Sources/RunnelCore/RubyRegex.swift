import Foundation

/// Why a regular expression could not be built.
public struct RubyRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public var source: String
    public var reason: String

    public var description: String { "regular expression \(source) does not compile (\(reason)): check its syntax" }
}

/// A Ruby regular expression as Fluentd configurations write them (`expression`, `pattern`,
/// `format_firstline`, `/regexp/` tag patterns): `/pattern/flags` or a bare pattern, with named
/// captures (`(?<name>...)`). The one regex type of Runnel.
///
/// Backed by ICU through `NSRegularExpression`, which shares Ruby's syntax for everything
/// Fluentd configurations commonly use (named groups, `\A`, `\z`, lookaround, `(?:...)`); what
/// differs is translated here. `^` and `$` match at every line's start and end, as they always
/// do in Ruby (`\A`, `\z` for the whole text); Ruby's `m` flag (dot matches newline) is
/// `.dotMatchesLineSeparators`; Ruby's `\h` is a hex digit (ICU's is horizontal space); group
/// names may hold any word character (ICU allows only ASCII letters and digits).
public struct RubyRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and documented thread-safe.
    let regex: NSRegularExpression
    /// Capture names in the order they appear.
    public let names: [String]
    public let source: String

    /// Ruby's regexp flags.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `i`: case-insensitive.
        public static let ignoreCase = Flags(rawValue: 1)
        /// `m`: `.` matches a newline too.
        public static let multiline = Flags(rawValue: 2)
        /// `x`: whitespace and `#` comments in the pattern are ignored.
        public static let extended = Flags(rawValue: 4)
    }

    /// `/pattern/flags` (flags among `m`, `i`, `x`) or, for anything else, the whole text
    /// (trimmed) as the pattern.
    public init(_ written: String) throws(RubyRegexError) {
        let trimmed = written.trimmingCharacters(in: .whitespaces)
        if let (pattern, flagText) = RubyRegex.split(trimmed), let flags = RubyRegex.flags(flagText) {
            try self.init(pattern: String(pattern), flags: flags, source: written)
        } else {
            try self.init(pattern: trimmed, flags: [], source: written)
        }
    }

    /// A pattern already taken out of its slashes.
    public init(pattern: String, flags: Flags, source: String? = nil) throws(RubyRegexError) {
        var options: NSRegularExpression.Options = [.anchorsMatchLines]
        if flags.contains(.multiline) { options.insert(.dotMatchesLineSeparators) }
        if flags.contains(.ignoreCase) { options.insert(.caseInsensitive) }
        if flags.contains(.extended) { options.insert(.allowCommentsAndWhitespace) }
        let (rewritten, originalNames) = RubyRegex.translate(pattern)
        do {
            regex = try NSRegularExpression(pattern: rewritten, options: options)
        } catch {
            throw RubyRegexError(source: source ?? pattern, reason: "\(error)")
        }
        names = originalNames
        self.source = source ?? pattern
    }

    /// `/pattern/flags` split at its last slash; nil for text not written between slashes.
    public static func split(_ text: String) -> (pattern: Substring, flags: Substring)? {
        guard text.count >= 2, text.hasPrefix("/"), let close = text.lastIndex(of: "/"), close != text.startIndex else { return nil }
        return (text[text.index(after: text.startIndex)..<close], text[text.index(after: close)...])
    }

    /// The flags of `text`; nil when it holds a letter other than `i`, `m`, `x`.
    public static func flags(_ text: Substring) -> Flags? {
        var flags: Flags = []
        for letter in text {
            switch letter {
            case "i": flags.insert(.ignoreCase)
            case "m": flags.insert(.multiline)
            case "x": flags.insert(.extended)
            default: return nil
            }
        }
        return flags
    }

    /// `text` with every character that has a meaning in a pattern escaped.
    public static func escaped(_ text: String) -> String {
        NSRegularExpression.escapedPattern(for: text)
    }

    /// Ruby's syntax in ICU's: `\h` as `[0-9a-fA-F]`, and every `(?<name>` as `(?<gN>`; returns
    /// the pattern and the original names in order.
    static func translate(_ pattern: String) -> (String, [String]) {
        var names: [String] = []
        var out: [UInt8] = []
        let chars = Array(pattern.utf8)
        var i = 0
        while i < chars.count {
            if chars[i] == UInt8(ascii: "\\"), i + 1 < chars.count {
                if chars[i + 1] == UInt8(ascii: "h") {
                    out.append(contentsOf: Array("[0-9a-fA-F]".utf8))
                } else {
                    out.append(chars[i])
                    out.append(chars[i + 1])
                }
                i += 2
                continue
            }
            if i + 3 < chars.count, chars[i] == UInt8(ascii: "("), chars[i + 1] == UInt8(ascii: "?"),
                chars[i + 2] == UInt8(ascii: "<"), chars[i + 3] != UInt8(ascii: "="), chars[i + 3] != UInt8(ascii: "!")
            {
                var j = i + 3
                while j < chars.count, chars[j] != UInt8(ascii: ">") { j += 1 }
                names.append(String(decoding: chars[(i + 3)..<j], as: UTF8.self))
                out.append(contentsOf: Array("(?<g\(names.count)".utf8))
                i = j
                continue
            }
            out.append(chars[i])
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), names)
    }

    /// The named captures of the first match, in pattern order (nil for a group that did not take part).
    public func match(_ text: String) -> [(name: String, value: String?)]? {
        matchWithEnd(text)?.captures
    }

    /// The named captures of the first match and where the match ends (Ruby's `post_match` starts there).
    public func matchWithEnd(_ text: String) -> (captures: [(name: String, value: String?)], end: String.Index)? {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        guard let result = regex.firstMatch(in: text, options: [], range: range),
            let whole = Range(result.range, in: text)
        else { return nil }
        let captures: [(name: String, value: String?)] = names.enumerated().map { index, name in
            let r = result.range(withName: "g\(index + 1)")
            guard r.location != NSNotFound, let swiftRange = Range(r, in: text) else { return (name, nil) }
            return (name, String(text[swiftRange]))
        }
        return (captures, whole.upperBound)
    }

    /// Ruby's `Regexp#match?`: a match anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, options: [], range: NSRange(text.startIndex..<text.endIndex, in: text)) != nil
    }
}

extension RubyRegex {
    /// Ruby's `MatchData#captures` of the first match: every group by number (named ones too),
    /// nil for a group that did not take part; nil when nothing matches.
    public func numberedCaptures(_ text: String) -> [String?]? {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        guard let result = regex.firstMatch(in: text, options: [], range: range) else { return nil }
        return (1..<max(1, result.numberOfRanges)).map { index in
            Range(result.range(at: index), in: text).map { String(text[$0]) }
        }
    }

    /// Ruby's `String#gsub(regexp, replacement)`: every match replaced by `replacement`, in which
    /// `\0`/`\&` is the whole match, `\1`..`\9` a numbered group, `\k<name>` a named one and
    /// `\\` a backslash; a group that did not take part gives nothing.
    public func replacingAll(in text: String, with replacement: String) -> String {
        let whole = NSRange(text.startIndex..<text.endIndex, in: text)
        var out = ""
        var last = text.startIndex
        for result in regex.matches(in: text, options: [], range: whole) {
            guard let range = Range(result.range, in: text) else { continue }
            out += text[last..<range.lowerBound]
            func group(_ r: NSRange) -> Substring { Range(r, in: text).map { text[$0] } ?? "" }
            var chars = Array(replacement)[...]
            while let char = chars.popFirst() {
                guard char == "\\", let next = chars.first else {
                    out.append(char)
                    continue
                }
                if let digit = next.wholeNumberValue, next.isASCII {
                    chars.removeFirst()
                    if digit < result.numberOfRanges { out += group(result.range(at: digit)) }
                } else if next == "&" {
                    chars.removeFirst()
                    out += text[range]
                } else if next == "\\" {
                    chars.removeFirst()
                    out.append("\\")
                } else if next == "k", chars.dropFirst().first == "<", let close = chars.firstIndex(of: ">") {
                    let name = String(chars[chars.index(chars.startIndex, offsetBy: 2)..<close])
                    chars = chars[chars.index(after: close)...]
                    if let index = names.firstIndex(of: name) { out += group(result.range(withName: "g\(index + 1)")) }
                } else {
                    out.append(char)
                }
            }
            last = range.upperBound
        }
        out += text[last...]
        return out
    }
}

extension RubyRegex {
    /// Where the first match is, if any (Ruby's `String#sub` replaces just this).
    public func firstMatchRange(_ text: String) -> Range<String.Index>? {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        guard let result = regex.firstMatch(in: text, options: [], range: range) else { return nil }
        return Range(result.range, in: text)
    }
}
