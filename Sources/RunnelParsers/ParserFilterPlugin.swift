import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline

/// `<filter> @type parser` (Fluentd's filter_parser): replaces (or, with `reserve_data`, extends)
/// each record with the fields parsed from `key_name`.
public struct ParserFilterPlugin: FilterPlugin {
    public let configuration: ParserFilterConfiguration
    let parser: any LineParser
    let logger: Logger
    public let invalidRecords = WarningLimiter()

    public init(configuration: ParserFilterConfiguration, parser: any LineParser, logger: Logger) {
        self.configuration = configuration
        self.parser = parser
        self.logger = logger
    }

    /// The factory RunnelApp registers as `parser`.
    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        let configuration = try ParserFilterConfiguration(context.element)
        guard let parse = context.element.element(named: "parse") else {
            throw ConfigError(.missingParameter, at: context.element.location, "\(context.element.title): a <parse> section is required")
        }
        return ParserFilterPlugin(configuration: configuration, parser: try ParserRegistry.makeParser(element: parse),
                                  logger: context.logger)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        var parser = self.parser
        var out = ParserOutput(capacity: stream.entries.count + 64)
        var scratch = ParserOutput(capacity: 256)
        let c = configuration
        try stream.forEachEntry { time, reader in
            guard case .map(var pairs) = try reader.readValue() else { return }
            let index = pairs.firstIndex { $0.key.stringValue == c.keyName }
            let raw = index.flatMap { pairs[$0].value.stringValue }
            var parsed: (EventTime, [MessagePackPair])?
            if let raw {
                _ = parser.parse(raw, now: time, into: &scratch)
                parser.flush(now: time, into: &scratch)
                if let first = scratch.decoded().first, case .map(let fields) = first.record {
                    parsed = (c.reserveTime ? time : first.time, fields)
                }
                scratch = ParserOutput(capacity: 256)
            }
            guard let (newTime, fields) = parsed else {
                if c.emitInvalidRecordToError {
                    invalidRecords.warn(
                        logger, "parser filter: pattern not matched or key missing; record dropped unless reserve_data",
                        metadata: ["parser.key_name": "\(c.keyName)", "tag": "\(stream.tag)"],
                        now: EventTime.now().timeInterval)
                }
                if c.reserveData { out.append(time: time, record: .map(pairs)) }
                return
            }
            var values = fields
            if let prefix = c.injectKeyPrefix {
                values = values.map { MessagePackPair(key: .string(prefix + ($0.key.stringValue ?? "")), value: $0.value) }
            }
            if let hashKey = c.hashValueField {
                values = [MessagePackPair(key: .string(hashKey), value: .map(values))]
            }
            if c.reserveData {
                if c.removeKeyNameField, let index { pairs.remove(at: index) }
                for value in values {
                    if let existing = pairs.firstIndex(where: { $0.key == value.key }) {
                        pairs[existing].value = value.value
                    } else {
                        pairs.append(value)
                    }
                }
                values = pairs
            }
            out.append(time: newTime, record: .map(values))
        }
        return out.count == 0 ? [] : [out.take(tag: stream.tag)]
    }
}
