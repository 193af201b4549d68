import Foundation

/// A Ruby-style regular expression with named captures (`(?<name>...)`), as Fluentd's
/// `expression` and `format_firstline` are written: `/pattern/flags` or a bare pattern.
///
/// Backed by ICU through `NSRegularExpression`, which shares Ruby's syntax for everything
/// Fluentd configurations commonly use (named groups, `\A`, `\z`, lookaround, `(?:...)`).
/// Ruby's `m` flag (dot matches newline) maps to `.dotMatchesLineSeparators`; `^` and `$` match
/// at every line's start and end, as they always do in Ruby (`\A`, `\z` for the whole text).
public struct NamedRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and documented thread-safe.
    let regex: NSRegularExpression
    /// Capture names in the order they appear.
    public let names: [String]
    public let source: String

    public init(_ written: String) throws {
        var pattern = written.trimmingCharacters(in: .whitespaces)
        var options: NSRegularExpression.Options = [.anchorsMatchLines]
        if pattern.count >= 2, pattern.hasPrefix("/"), let close = pattern.lastIndex(of: "/"), close != pattern.startIndex {
            let flags = pattern[pattern.index(after: close)...]
            if flags.allSatisfy({ "mix".contains($0) }) {
                if flags.contains("m") { options.insert(.dotMatchesLineSeparators) }
                if flags.contains("i") { options.insert(.caseInsensitive) }
                if flags.contains("x") { options.insert(.allowCommentsAndWhitespace) }
                pattern = String(pattern[pattern.index(after: pattern.startIndex)..<close])
            }
        }
        // Ruby's \h is a hex digit; ICU's is horizontal space.
        pattern = pattern.replacingOccurrences(of: "\\h", with: "[0-9a-fA-F]")
        // ICU allows only ASCII letters and digits in group names; Ruby also allows `_` and more.
        let (rewritten, originalNames) = NamedRegex.renameGroups(pattern)
        do {
            regex = try NSRegularExpression(pattern: rewritten, options: options)
        } catch {
            throw ParserError.invalidExpression(written, reason: "\(error)")
        }
        names = originalNames
        source = written
    }

    /// Replaces every `(?<name>` with `(?<gN>` and returns the original names in order.
    static func renameGroups(_ pattern: String) -> (String, [String]) {
        var names: [String] = []
        var out: [UInt8] = []
        let chars = Array(pattern.utf8)
        var i = 0
        while i < chars.count {
            if chars[i] == UInt8(ascii: "\\"), i + 1 < chars.count {
                out.append(chars[i]); out.append(chars[i + 1]); i += 2; continue
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

    static func captureNames(_ pattern: String) -> [String] {
        var names: [String] = []
        let chars = Array(pattern.utf8)
        var i = 0
        while i + 3 < chars.count {
            if chars[i] == UInt8(ascii: "\\") { i += 2; continue }
            if chars[i] == UInt8(ascii: "("), chars[i + 1] == UInt8(ascii: "?"), chars[i + 2] == UInt8(ascii: "<"),
                chars[i + 3] != UInt8(ascii: "="), chars[i + 3] != UInt8(ascii: "!")
            {
                var j = i + 3
                while j < chars.count, chars[j] != UInt8(ascii: ">") { j += 1 }
                names.append(String(decoding: chars[(i + 3)..<j], as: UTF8.self))
                i = j
            }
            i += 1
        }
        return names
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

    public func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, options: [], range: NSRange(text.startIndex..<text.endIndex, in: text)) != nil
    }
}
