import RunnelCore
import RunnelFormat
import RunnelParsers

/// Turns one framed message into events: what differs between in_tcp/in_udp and in_syslog.
/// A value copied for each connection, because the parser inside may hold state between lines.
public protocol MessageInterpreter: Sendable {
    mutating func interpret(_ message: [UInt8], from source: MessageSource, now: EventTime, into events: inout TaggedEvents)
}

extension LineParser {
    /// Parses one message; nil when the parser does not match it.
    mutating func records(_ message: some Collection<UInt8>, now: EventTime) -> [(time: EventTime, pairs: [MessagePackPair])]? {
        var output = ParserOutput()
        let outcome = Array(message).withUnsafeBytes { parse($0, now: now, into: &output) }
        guard outcome != .unmatched else { return nil }
        return output.decoded().map { ($0.time, $0.record.mapValue ?? []) }
    }
}

/// in_tcp and in_udp: every message parsed by the `<parse>` parser, emitted under `tag`.
public struct LineInterpreter: MessageInterpreter {
    /// `<extract>`: the tag from a field of the record.
    public struct Extract: Sendable, Equatable {
        public var tagKey: String
        public var keepTagKey: Bool

        public init(tagKey: String, keepTagKey: Bool = false) {
            self.tagKey = tagKey
            self.keepTagKey = keepTagKey
        }
    }

    public var parser: any LineParser
    public let tag: String
    public let sourceKeys: SourceKeys
    public let extract: Extract?

    public init(parser: any LineParser, tag: String, sourceKeys: SourceKeys, extract: Extract? = nil) {
        self.parser = parser
        self.tag = tag
        self.sourceKeys = sourceKeys
        self.extract = extract
    }

    public mutating func interpret(_ message: [UInt8], from source: MessageSource, now: EventTime, into events: inout TaggedEvents) {
        guard let records = parser.records(message, now: now) else {
            events.report(.patternNotMatched(String(decoding: message, as: UTF8.self)))
            return
        }
        for var record in records {
            var tag = self.tag
            // Fluentd's extract_tag_from_record: the field's to_s, the field gone unless kept;
            // the source keys are set after it, so they cannot name the tag.
            if let extract, let index = record.pairs.firstIndex(where: { $0.key.stringValue == extract.tagKey }) {
                tag = RubyText.toS(record.pairs[index].value)
                if !extract.keepTagKey { record.pairs.remove(at: index) }
            }
            sourceKeys.apply(source, to: &record.pairs)
            events.append(tag: tag, time: record.time, record: record.pairs)
        }
    }
}
