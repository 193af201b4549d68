import RunnelCore
import RunnelParsers

/// in_syslog: a message parsed by the syslog parser (or another `<parse>` after its `<PRI>` is
/// taken off), tagged `tag.FACILITY.SEVERITY`, with `severity_key` / `facility_key` and the source
/// keys set. A message that does not parse is reported and, with `emit_unmatched_lines`, emitted
/// as `{"unmatched_line": message}` under `tag.unmatched`.
public struct SyslogInterpreter: MessageInterpreter {
    public var parser: any LineParser
    /// The parser reads `<PRI>` into `pri` itself (the syslog parser `with_priority`); otherwise
    /// the priority is taken off the message before it is parsed.
    public let parserReadsPriority: Bool
    public let tag: String
    public let severityKey: String?
    public let facilityKey: String?
    public let emitUnmatchedLines: Bool
    public let sourceKeys: SourceKeys

    public init(
        parser: any LineParser, tag: String, severityKey: String? = nil, facilityKey: String? = nil,
        emitUnmatchedLines: Bool = false, sourceKeys: SourceKeys = SourceKeys()
    ) {
        self.parser = parser
        self.parserReadsPriority = (parser as? SyslogParser)?.withPriority ?? false
        self.tag = tag
        self.severityKey = severityKey
        self.facilityKey = facilityKey
        self.emitUnmatchedLines = emitUnmatchedLines
        self.sourceKeys = sourceKeys
    }

    public mutating func interpret(_ message: [UInt8], from source: MessageSource, now: EventTime, into events: inout TaggedEvents) {
        var split: Int?
        var body = message[...]
        if !parserReadsPriority {
            guard let (priority, rest) = SyslogPriority.split(message) else {
                return unmatched(message, .invalidPriority(String(decoding: message, as: UTF8.self)), source, now, &events)
            }
            split = priority
            body = rest
        }
        guard let records = parser.records(body, now: now) else {
            return unmatched(message, .patternNotMatched(String(decoding: message, as: UTF8.self)), source, now, &events)
        }
        for var record in records {
            let read = record.pairs.removeField("pri")
            guard let value = split ?? read?.integerValue, let priority = SyslogPriority(value) else {
                unmatched(message, .invalidPriority(String(decoding: message, as: UTF8.self)), source, now, &events)
                continue
            }
            if let severityKey { record.pairs.setField(severityKey, .string(priority.severity)) }
            if let facilityKey { record.pairs.setField(facilityKey, .string(priority.facility)) }
            sourceKeys.apply(source, to: &record.pairs)
            events.append(tag: "\(tag).\(priority.facility).\(priority.severity)", time: record.time, record: record.pairs)
        }
    }

    private func unmatched(
        _ message: [UInt8], _ problem: MessageProblem, _ source: MessageSource, _ now: EventTime, _ events: inout TaggedEvents
    ) {
        events.report(problem)
        guard emitUnmatchedLines else { return }
        var record = [MessagePackPair(key: .string("unmatched_line"), value: .string(String(decoding: message, as: UTF8.self)))]
        sourceKeys.apply(source, to: &record)
        events.append(tag: "\(tag).unmatched", time: now, record: record)
    }
}

extension MessagePackValue {
    var integerValue: Int? {
        switch self {
        case .int(let value): return Int(exactly: value)
        case .uint(let value): return Int(exactly: value)
        default: return nil
        }
    }
}
