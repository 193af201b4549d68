import RunnelCore
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
    public var parser: any LineParser
    public let tag: String
    public let sourceKeys: SourceKeys

    public init(parser: any LineParser, tag: String, sourceKeys: SourceKeys) {
        self.parser = parser
        self.tag = tag
        self.sourceKeys = sourceKeys
    }

    public mutating func interpret(_ message: [UInt8], from source: MessageSource, now: EventTime, into events: inout TaggedEvents) {
        guard let records = parser.records(message, now: now) else {
            events.report(.patternNotMatched(String(decoding: message, as: UTF8.self)))
            return
        }
        for var record in records {
            sourceKeys.apply(source, to: &record.pairs)
            events.append(tag: tag, time: record.time, record: record.pairs)
        }
    }
}
