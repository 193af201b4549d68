import RunnelConfig
import RunnelCore

/// `@type docker`: Docker's json-file log lines, `{"log":"...\n","stream":"stdout","time":"<RFC 3339 nano>"}`.
///
/// Records match Fluent Bit's `docker` parser (format json, `Time_Key time`,
/// `Time_Format %Y-%m-%dT%H:%M:%S.%L`, `Time_Keep On`): the record as written, with the event time
/// read from `time`. Docker splits lines over 16 KiB into parts whose `log` lacks the final `\n`;
/// those are joined per stream until the part that ends with `\n` (Fluent Bit's docker mode).
public struct DockerParser: LineParser {
    public let keepTimeKey: Bool
    /// nil format: RFC 3339 with or without a fraction (Fluent Bit would fall back to the read time).
    let timeParser = TimeParser(format: nil, zone: .fixed(offsetSeconds: 0))
    var partial: [String: [(String, MessagePackValue)]] = [:]

    public init(keepTimeKey: Bool = true) {
        self.keepTimeKey = keepTimeKey
    }

    public init(_ element: ConfigElement) throws {
        self.init(keepTimeKey: try element.bool("keep_time_key", default: true))
    }

    public var isHolding: Bool { !partial.isEmpty }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        guard var fields = JSONParser.fields(line),
            let logIndex = fields.firstIndex(where: { $0.0 == "log" }),
            let log = fields[logIndex].1.stringValue
        else { return .unmatched }
        let stream = fields.first(where: { $0.0 == "stream" })?.1.stringValue ?? ""
        if var held = partial[stream], let heldIndex = held.firstIndex(where: { $0.0 == "log" }) {
            held[heldIndex].1 = .string((held[heldIndex].1.stringValue ?? "") + log)
            fields = held
        }
        guard log.hasSuffix("\n") else {
            partial[stream] = fields
            return .held
        }
        partial[stream] = nil
        return emit(fields, now: now, into: &output) ? .emitted : .unmatched
    }

    public mutating func flush(now: EventTime, into output: inout ParserOutput) {
        for (_, fields) in partial.sorted(by: { $0.key < $1.key }) { _ = emit(fields, now: now, into: &output) }
        partial.removeAll()
    }

    func emit(_ fields: [(String, MessagePackValue)], now: EventTime, into output: inout ParserOutput) -> Bool {
        var fields = fields
        var time = now
        if let index = fields.firstIndex(where: { $0.0 == "time" }), let text = fields[index].1.stringValue {
            guard let parsed = timeParser.parse(text, now: now) else { return false }
            time = parsed
            if !keepTimeKey { fields.remove(at: index) }
        }
        output.append(time: time, fields: fields)
        return true
    }
}
