import Foundation
import RunnelConfig
import RunnelCore

/// `@type grep` (Fluentd's filter_grep): keeps events whose fields match patterns.
///
/// An event is kept when every top-level `<regexp>` matches and no top-level `<exclude>` does.
/// `<and>` groups several conditions that must all hold, `<or>` several of which one must.
/// `key` is a field name or a record accessor (`$.kubernetes.namespace_name`); `pattern` a
/// regular expression, written bare or as `/.../` (Fluentd's regexp type). The value is matched
/// as a string (numbers and booleans as Ruby prints them); a missing field is matched as the
/// empty string, as filter_grep.rb's `key.call(record).to_s` does. As there, the regexps of all
/// `<or>` sections form one condition (one of them must match), and so do the excludes of all
/// `<and>` sections (the event is dropped when all match). `^` and `$` match at line boundaries.
/// The older `regexpN KEY PATTERN` and `excludeN KEY PATTERN` parameters are accepted too.
public struct GrepFilter: FilterPlugin {
    struct Condition: Sendable {
        var accessor: RecordAccessor
        var pattern: RubyRegex

        func matches(_ record: MessagePackValue) -> Bool {
            let text = accessor.value(in: record).map(PlaceholderTemplate.rubyString) ?? ""
            return pattern.matches(text)
        }
    }

    /// All must match (`and`) or one must (`or`).
    struct Group: Sendable {
        var all: Bool
        var conditions: [Condition]

        func matches(_ record: MessagePackValue) -> Bool {
            all ? conditions.allSatisfy { $0.matches(record) } : conditions.contains { $0.matches(record) }
        }
    }

    var keep: [Group] = []
    var exclude: [Group] = []

    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        try GrepFilter(context.element)
    }

    init(_ element: ConfigElement) throws {
        for section in element.elements(named: "regexp") { keep.append(Group(all: true, conditions: [try GrepFilter.condition(section)])) }
        for section in element.elements(named: "exclude") { exclude.append(Group(all: true, conditions: [try GrepFilter.condition(section)])) }
        var andExcludes: [Condition] = []
        var orRegexps: [Condition] = []
        for (name, all) in [("and", true), ("or", false)] {
            for section in element.elements(named: name) {
                let regexps = try section.elements(named: "regexp").map(GrepFilter.condition)
                let excludes = try section.elements(named: "exclude").map(GrepFilter.condition)
                guard regexps.isEmpty || excludes.isEmpty else {
                    throw ConfigError(.structure, at: section.location, "<\(name)> in grep may hold <regexp> or <exclude> sections, not both")
                }
                if all {
                    keep += regexps.map { Group(all: true, conditions: [$0]) }
                    andExcludes += excludes
                } else {
                    orRegexps += regexps
                    exclude += excludes.map { Group(all: true, conditions: [$0]) }
                }
            }
        }
        if !orRegexps.isEmpty { keep.append(Group(all: false, conditions: orRegexps)) }
        if !andExcludes.isEmpty { exclude.append(Group(all: true, conditions: andExcludes)) }
        for parameter in element.parameters {
            let key = parameter.key
            let isRegexp = key.hasPrefix("regexp") && Int(key.dropFirst(6)) != nil
            let isExclude = key.hasPrefix("exclude") && Int(key.dropFirst(7)) != nil
            guard isRegexp || isExclude else { continue }
            element.markUsed(key)
            let words = parameter.value.split(separator: " ", maxSplits: 1).map(String.init)
            guard words.count == 2, let accessor = RecordAccessor(words[0]) else {
                throw element.invalid(key, parameter.value, expected: "a field name and a pattern, e.g. 'message cool'")
            }
            let condition = Condition(accessor: accessor, pattern: try GrepFilter.regex(words[1], element: element, key: key))
            if isRegexp { keep.append(Group(all: true, conditions: [condition])) } else { exclude.append(Group(all: true, conditions: [condition])) }
        }
    }

    static func condition(_ section: ConfigElement) throws -> Condition {
        let key = try section.requiredString("key")
        guard let accessor = RecordAccessor(key) else { throw section.invalid("key", key, expected: "a field name or a $.record.accessor path") }
        return Condition(accessor: accessor, pattern: try regex(try section.requiredString("pattern"), element: section, key: "pattern"))
    }

    /// A pattern written bare or as Ruby's `/.../` with optional `i`, `m`, `x` flags.
    static func regex(_ text: String, element: ConfigElement, key: String) throws -> RubyRegex {
        if let (_, flags) = RubyRegex.split(text), RubyRegex.flags(flags) == nil {
            throw element.invalid(key, text, expected: "a regular expression with flags among i, m, x")
        }
        do {
            return try RubyRegex(text)
        } catch {
            throw element.invalid(key, text, expected: "a valid regular expression")
        }
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        var builder = EventStreamBuilder(tag: stream.tag, capacity: stream.entries.count)
        var kept = 0
        try MessagePackReader.withReader(stream.entries) { reader in
            while !reader.isAtEnd {
                let start = reader.offset
                var pass = false
                try reader.readEntry { _, record in
                    let value = try record.readValue()
                    pass = keep.allSatisfy { $0.matches(value) } && !exclude.contains { $0.matches(value) }
                }
                if pass {
                    // Kept entries are copied as they are, never re-encoded.
                    builder.append(encodedEntries: UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.offset]), count: 1)
                    kept += 1
                }
            }
        }
        if kept == stream.count { return [stream] }
        return kept == 0 ? [] : [builder.build()]
    }
}
