import RunnelConfig
import RunnelCore

/// One `<rule>` of rewrite_tag_filter: `key`, `pattern`, `tag`, `label`, `invert`.
struct RewriteTagRule: Sendable {
    var accessor: RecordAccessor
    var pattern: RubyRegex
    var tag: String
    var label: String?
    var invert: Bool
    /// `key + ("!" if invert) + pattern`, how the plugin finds duplicated rules.
    var identity: String

    init(_ section: ConfigElement) throws {
        let key = try section.requiredString("key")
        guard let accessor = RecordAccessor(key) else { throw section.invalid("key", key, expected: "a field name or a $.record.accessor path") }
        self.accessor = accessor
        let written = try section.requiredString("pattern")
        if let (_, flags) = RubyRegex.split(written), RubyRegex.flags(flags) == nil {
            throw section.invalid("pattern", written, expected: "a regular expression with flags among i, m, x")
        }
        do {
            pattern = try RubyRegex(written)
        } catch {
            throw section.invalid("pattern", written, expected: "a valid regular expression (\(error))")
        }
        tag = try section.requiredString("tag")
        if RewriteTagRule.hasRangePlaceholder(tag) {
            throw section.rejected("tag", "${tag_parts[n]} and __TAG_PARTS[n]__ placeholder does not support range specify")
        }
        label = section.string("label").flatMap { $0.isEmpty ? nil : $0 }
        invert = try section.bool("invert", default: false)
        identity = key + (invert ? "!" : "") + written
    }

    /// `${tag_parts[1..2]}` or `__TAG_PARTS[1...2]__`: one digit, two or three dots, one digit.
    static func hasRangePlaceholder(_ tag: String) -> Bool {
        for opener in ["${tag_parts[", "__TAG_PARTS["] {
            var rest = tag[...]
            while let found = rest.range(of: opener) {
                let after = Array(rest[found.upperBound...].prefix(6))
                if after.count >= 4, after[0].isASCIIDigit, after[1] == ".", after[2] == "." {
                    let digitAt = after[3] == "." ? 4 : 3
                    if digitAt < after.count, after[digitAt].isASCIIDigit { return true }
                }
                rest = rest[found.upperBound...]
            }
        }
        return false
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
