import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import ServiceLifecycle

/// `<match> @type rewrite_tag_filter` (fluent-plugin-rewrite-tag-filter 2.x, an output): each
/// event is tested against the `<rule>`s in order; the first whose `pattern` matches the `key`
/// field (or, with `invert true`, does not) gives the event a new tag (and, with `label`, a new
/// label), and the event is emitted again from the top of that router. An event no rule takes is
/// dropped. An event whose new tag equals its tag (and that changes no label) is dropped too,
/// as the plugin does against an endless loop.
///
/// In `tag`: `$1`.. are the pattern's groups (capitalized with `capitalize_regex_backreference`),
/// then `${tag}` / `__TAG__`, `${tag_parts[N]}`, `${hostname}` / `__HOSTNAME__` are replaced;
/// the tag they see has `remove_tag_prefix` (or `remove_tag_regexp`) taken off. An unknown
/// placeholder is replaced by nothing, with a warning.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `<rule>` `key` | field name or `$.record.accessor` | required |
/// | `<rule>` `pattern` | regexp | required |
/// | `<rule>` `tag` | string with placeholders | required |
/// | `<rule>` `label` | label name | none |
/// | `<rule>` `invert` | bool | false |
/// | `capitalize_regex_backreference` | bool | false |
/// | `remove_tag_prefix` | string | none |
/// | `remove_tag_regexp` | regexp | none |
/// | `hostname_command` | shell command | `hostname` |
/// | `emit_mode` | `batch` or `record` | batch |
public struct RewriteTagFilterOutput: OutputPlugin {
    public enum EmitMode: String, CaseIterable, Sendable { case batch, record }

    let rules: [RewriteTagRule]
    let capitalize: Bool
    let removeTagRegexp: RubyRegex?
    let removeTagPrefix: String?
    let hostname: String
    let emitMode: EmitMode
    let router: any EventSink
    let labelRouters: [String: any EventSink]
    let logger: Logger
    /// One warning a minute per unknown placeholder.
    let unknownPlaceholders = LogRateLimiter(interval: 60, suppressedKey: "rewrite_tag_filter.suppressed")

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        try RewriteTagFilterOutput(context)
    }

    init(_ context: PluginContext) throws {
        let element = context.element
        if let old = element.parameters.first(where: { $0.key.hasPrefix("rewriterule") }) {
            element.markUsed(old.key)
            throw element.rejected(old.key, "\"rewriterule<num>\" support has been dropped. Use <rule> section instead.")
        }
        rules = try element.elements(named: "rule").map(RewriteTagRule.init)
        guard !rules.isEmpty else {
            throw ConfigError(.structure, at: element.location, "\(element.title): missing rewriterules; add at least one <rule> with key, pattern and tag")
        }
        var seen: Set<String> = []
        for (rule, section) in zip(rules, element.elements(named: "rule")) where !seen.insert(rule.identity).inserted {
            throw ConfigError(
                .structure, at: section.location,
                "\(element.title): duplicated rewriterules found (key, invert and pattern of this <rule> repeat an earlier one)")
        }
        capitalize = try element.bool("capitalize_regex_backreference", default: false)
        removeTagPrefix = element.string("remove_tag_prefix")
        if let written = element.string("remove_tag_regexp") {
            guard removeTagPrefix == nil else { throw element.rejected("remove_tag_regexp", "remove_tag_prefix and remove_tag_regexp are exclusive") }
            do { removeTagRegexp = try RubyRegex(written) } catch {
                throw element.invalid("remove_tag_regexp", written, expected: "a valid regular expression (\(error))")
            }
        } else {
            removeTagRegexp = nil
        }
        let command = element.string("hostname_command", default: "hostname")
        hostname = try RewriteTagFilterOutput.run(command, element: element)
        emitMode = try element.enumeration("emit_mode", default: EmitMode.batch)
        router = context.router
        var labels: [String: any EventSink] = [:]
        for (rule, section) in zip(rules, element.elements(named: "rule")) {
            guard let label = rule.label, labels[label] == nil else { continue }
            guard let sink = context.labelRouter(label) else {
                throw ConfigError(
                    .structure, at: section.parameter("label")?.location ?? section.location,
                    "\(element.title): <rule> label \(label) is not defined by any <label \(label)> section")
            }
            labels[label] = sink
        }
        labelRouters = labels
        logger = context.logger
    }

    init(
        rules: [RewriteTagRule], capitalize: Bool = false, removeTagPrefix: String? = nil, hostname: String = "host",
        emitMode: EmitMode = .batch, router: any EventSink, labelRouters: [String: any EventSink] = [:], logger: Logger
    ) {
        self.rules = rules
        self.capitalize = capitalize
        self.removeTagRegexp = nil
        self.removeTagPrefix = removeTagPrefix
        self.hostname = hostname
        self.emitMode = emitMode
        self.router = router
        self.labelRouters = labelRouters
        self.logger = logger
    }

    /// `hostname_command`'s output without its last newline, as the plugin's backquotes read it.
    static func run(_ command: String, element: ConfigElement) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw element.invalid("hostname_command", command, expected: "a command /bin/sh can run (\(error))")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    /// The tag the placeholders see: `remove_tag_prefix` (`/^prefix\.?/`) or `remove_tag_regexp` taken off once.
    func placeholderTag(_ tag: String) -> String {
        if let prefix = removeTagPrefix, tag.hasPrefix(prefix) {
            var rest = tag.dropFirst(prefix.count)
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
            return String(rest)
        }
        if let regex = removeTagRegexp, let range = regex.firstMatchRange(tag) {
            var copy = tag
            copy.removeSubrange(range)
            return copy
        }
        return tag
    }

    /// The new tag and label of a record, or nil when no rule takes it.
    func rewrite(tag: String, record: MessagePackValue, placeholderTag: String) -> (tag: String, label: String?)? {
        for rule in rules {
            let value = RecordValue.toS(rule.accessor.value(in: record))
            if value.isEmpty, !rule.invert { continue }
            let captures = rule.pattern.numberedCaptures(value)
            var newTag = rule.tag
            if rule.invert {
                if captures != nil { continue }
            } else {
                guard let captures else { continue }
                newTag = replaceBackreferences(newTag, captures)
            }
            return (expandPlaceholders(newTag, tag: placeholderTag, original: tag), rule.label)
        }
        return nil
    }

    /// `gsub(/\$\d+/)` with the groups: `$1` is the first; one that did not take part, or is not
    /// in the pattern, becomes nothing.
    func replaceBackreferences(_ text: String, _ captures: [String?]) -> String {
        var out = ""
        var chars = text[...]
        while let char = chars.popFirst() {
            guard char == "$", let first = chars.first, first.isASCIIDigit else {
                out.append(char)
                continue
            }
            let digits = chars.prefix { $0.isASCIIDigit }
            chars = chars.dropFirst(digits.count)
            if let index = Int(digits), index >= 1, index <= captures.count, let value = captures[index - 1] {
                out += capitalize ? RewriteTagFilterOutput.rubyCapitalize(value) : value
            }
        }
        return out
    }

    /// Ruby's `String#capitalize`: the first character upper case, the rest lower case.
    static func rubyCapitalize(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst().lowercased()
    }

    /// The plugin's `gsub(/(\${[a-z_]+(\[[0-9]+\])?}|__[A-Z_]+__)/)` over its placeholder table.
    func expandPlaceholders(_ text: String, tag: String, original: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if let found = RewriteTagFilterOutput.placeholder(in: bytes, at: i) {
                let name = found.name
                if let value = placeholderValue(name, tag: tag) {
                    out += Array(value.utf8)
                } else {
                    unknownPlaceholders.log(
                        logger, level: .warning, "rewrite_tag_filter: unknown placeholder found; it is replaced by nothing", reason: name,
                        metadata: ["placeholder": "\(name)", "tag": "\(original)", "rewritetag": "\(text)"])
                }
                i = found.end
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func placeholderValue(_ name: String, tag: String) -> String? {
        switch name {
        case "${tag}", "__TAG__": return tag
        case "${hostname}", "__HOSTNAME__": return hostname
        default: break
        }
        if name.hasPrefix("${tag_parts["), name.hasSuffix("]}"), let index = Int(name.dropFirst(12).dropLast(2)) {
            let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
            var count = parts.count
            while count > 0, parts[count - 1].isEmpty { count -= 1 }
            return index < count ? String(parts[index]) : nil
        }
        return nil
    }

    /// A placeholder starting at `i`: `${[a-z_]+}`, `${[a-z_]+[digits]}` or `__[A-Z_]+__` (greedy,
    /// ending at the last `__` the run of capitals and underscores allows).
    static func placeholder(in bytes: [UInt8], at i: Int) -> (end: Int, name: String)? {
        func isLower(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        func isUpper(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || b == 0x5f }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if bytes[i] == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
            var j = i + 2
            while j < bytes.count, isLower(bytes[j]) { j += 1 }
            guard j > i + 2, j < bytes.count else { return nil }
            if bytes[j] == UInt8(ascii: "[") {
                var k = j + 1
                while k < bytes.count, isDigit(bytes[k]) { k += 1 }
                guard k > j + 1, k + 1 < bytes.count, bytes[k] == UInt8(ascii: "]"), bytes[k + 1] == UInt8(ascii: "}") else { return nil }
                j = k + 1
            }
            guard bytes[j] == UInt8(ascii: "}") else { return nil }
            return (j + 1, String(decoding: bytes[i...j], as: UTF8.self))
        }
        if bytes[i] == UInt8(ascii: "_"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "_") {
            var run = i + 2
            while run < bytes.count, isUpper(bytes[run]) { run += 1 }
            var end = run
            while end - i >= 5 {
                if bytes[end - 1] == UInt8(ascii: "_"), bytes[end - 2] == UInt8(ascii: "_") {
                    return (end, String(decoding: bytes[i..<end], as: UTF8.self))
                }
                end -= 1
            }
        }
        return nil
    }

    public func emit(_ stream: EventStream) async throws {
        let placeholderTag = placeholderTag(stream.tag)
        // Per label (nil: this router) and tag, in the order they first appear.
        var order: [(label: String?, tag: String)] = []
        var builders: [String: EventStreamBuilder] = [:]
        var singles: [(label: String?, stream: EventStream)] = []
        try stream.forEachEntry { time, reader in
            let record = try reader.readValue()
            guard let rewritten = rewrite(tag: stream.tag, record: record, placeholderTag: placeholderTag) else { return }
            let newTag = rewritten.tag
            let label = rewritten.label
            if newTag == stream.tag, label == nil {
                logger.trace("rewrite_tag_filter: tag has not been rewritten", metadata: ["tag": "\(stream.tag)"])
                return
            }
            switch emitMode {
            case .record:
                var builder = EventStreamBuilder(tag: newTag)
                builder.append(time: time, record: record)
                singles.append((label, builder.build()))
            case .batch:
                let key = (label ?? "") + "\u{0}" + newTag
                if builders[key] == nil {
                    builders[key] = EventStreamBuilder(tag: newTag)
                    order.append((label, newTag))
                }
                builders[key]!.append(time: time, record: record)
            }
        }
        for single in singles { try await sink(single.label).emit(single.stream) }
        for (label, tag) in order {
            guard let builder = builders[(label ?? "") + "\u{0}" + tag] else { continue }
            try await sink(label).emit(builder.build())
        }
    }

    func sink(_ label: String?) -> any EventSink {
        label.flatMap { labelRouters[$0] } ?? router
    }

    public func run() async throws {
        try? await gracefulShutdown()
    }
}
