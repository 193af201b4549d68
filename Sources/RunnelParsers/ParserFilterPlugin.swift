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
    public let invalidRecords = LogRateLimiter()

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
        return ParserFilterPlugin(
            configuration: configuration, parser: try ParserRegistry.makeParser(element: parse),
            logger: context.logger)
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        var parser = self.parser
        var out = ParserOutput(capacity: stream.entries.count + 64)
        var scratch = ParserOutput(capacity: 256)
        let c = configuration
        let accessor = c.keyAccessor
        try stream.forEachEntry { time, reader in
            guard case .map(let pairs) = try reader.readValue() else { return }
            let record = MessagePackValue.map(pairs)
            // filter_parser.rb: `raw_value = @accessor.call(record)`; nil → "does not exist".
            guard let value = accessor.value(in: record), !value.isNil else {
                if c.reserveData { out.append(time: time, record: handleParsed(record, [])) }
                warn("parser filter: key_name does not exist", stream.tag)
                return
            }
            // A number or a map is no text to parse: Fluentd's parsers raise, and the event goes to @ERROR.
            guard let raw = value.stringValue else {
                warn("parser filter: key_name value is not a string; event dropped", stream.tag)
                return
            }
            _ = parser.parse(raw, now: time, into: &scratch)
            parser.flush(now: time, into: &scratch)
            let parsed = scratch.decoded()
            scratch = ParserOutput(capacity: 256)
            guard !parsed.isEmpty else {
                warn("parser filter: pattern not matched", stream.tag)
                if c.reserveData { out.append(time: time, record: handleParsed(record, [])) }
                return
            }
            var base = record
            if c.removeKeyNameField { base = base.removingField(at: accessor.path) }
            for event in parsed {
                out.append(time: c.reserveTime ? time : event.time, record: handleParsed(base, event.record.mapValue ?? []))
            }
        }
        return out.count == 0 ? [] : [out.take(tag: stream.tag)]
    }

    /// filter_parser.rb `handle_parsed`: prefix, `hash_value_field`, then `record.merge` with `reserve_data`.
    func handleParsed(_ record: MessagePackValue, _ fields: [MessagePackPair]) -> MessagePackValue {
        let c = configuration
        var values = fields
        if let prefix = c.injectKeyPrefix {
            values = values.map { MessagePackPair(key: .string(prefix + ($0.key.stringValue ?? "")), value: $0.value) }
        }
        if let hashKey = c.hashValueField {
            values = [MessagePackPair(key: .string(hashKey), value: .map(values))]
        }
        guard c.reserveData else { return .map(values) }
        var pairs = record.mapValue ?? []
        for value in values {
            if let existing = pairs.firstIndex(where: { $0.key == value.key }) {
                pairs[existing].value = value.value
            } else {
                pairs.append(value)
            }
        }
        return .map(pairs)
    }

    func warn(_ message: Logger.Message, _ tag: String) {
        guard configuration.emitInvalidRecordToError else { return }
        invalidRecords.warn(
            logger, message, metadata: ["parser.key_name": "\(configuration.keyName)", "tag": "\(tag)"],
            now: EventTime.now().timeInterval)
    }
}

extension MessagePackValue {
    /// The record without the field at `path` (nested maps rebuilt along the way): RecordAccessor#delete.
    func removingField(at path: [String]) -> MessagePackValue {
        guard let first = path.first, case .map(var pairs) = self,
            let index = pairs.firstIndex(where: { $0.key.stringValue == first })
        else { return self }
        if path.count == 1 {
            pairs.remove(at: index)
        } else {
            pairs[index].value = pairs[index].value.removingField(at: Array(path.dropFirst()))
        }
        return .map(pairs)
    }
}
