import RunnelConfig
import RunnelCore

/// `@type multi_format` (fluent-plugin-multi-format-parser): the `<pattern>` sections, each a
/// parser configuration (`format json`, `format regexp` with `expression`, `@type none`, ...),
/// are tried in order on each line; the first that gives an event wins. With `format_key`, the
/// record gets the winner's `format_name` (or `FORMAT#INDEX`) under that key.
public struct MultiFormatParser: LineParser {
    var parsers: [any LineParser]
    let names: [String]
    let formatKey: String?

    public init(_ element: ConfigElement) throws {
        var parsers: [any LineParser] = []
        var names: [String] = []
        for (index, section) in element.children.enumerated() where section.name == "pattern" || section.name == "format" {
            guard let type = section.string("format") ?? section.pluginType else {
                throw ConfigError(.structure, at: section.location, "\(section.title) in multi_format needs `format` (json, regexp, none, ...)")
            }
            guard type != "multi_format" else {
                throw ConfigError(.structure, at: section.location, "\(section.title): multi_format cannot hold another multi_format")
            }
            _ = section.rawValue("@type")
            names.append(section.string("format_name") ?? "\(type)#\(index)")
            do {
                parsers.append(try ParserRegistry.build(type, section))
            } catch let error as ParserError {
                throw ConfigError(.invalidValue, at: section.location, "\(section.title): \(error)")
            } catch let error as RubyRegexError {
                throw ConfigError(.invalidValue, at: section.location, "\(section.title): \(error)")
            }
        }
        guard !parsers.isEmpty else {
            throw ConfigError(.structure, at: element.location, "\(element.title): multi_format needs at least one <pattern> section")
        }
        self.parsers = parsers
        self.names = names
        formatKey = element.string("format_key")
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        for index in parsers.indices {
            guard let formatKey else {
                let outcome = parsers[index].parse(line, now: now, into: &output)
                if outcome != .unmatched { return outcome }
                continue
            }
            var own = ParserOutput(tag: output.tag)
            let outcome = parsers[index].parse(line, now: now, into: &own)
            guard outcome != .unmatched else { continue }
            for (time, record) in own.decoded() {
                var pairs = record.mapValue ?? []
                if let at = pairs.firstIndex(where: { $0.key.stringValue == formatKey }) {
                    pairs[at].value = .string(names[index])
                } else {
                    pairs.append(MessagePackPair(key: .string(formatKey), value: .string(names[index])))
                }
                output.append(time: time, record: .map(pairs))
            }
            return outcome
        }
        return .unmatched
    }

    public mutating func flush(now: EventTime, into output: inout ParserOutput) {
        for index in parsers.indices { parsers[index].flush(now: now, into: &output) }
    }

    public var isHolding: Bool { parsers.contains { $0.isHolding } }
}
