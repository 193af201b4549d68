import RunnelConfig
import RunnelCore

/// `@type cri`: containerd / CRI-O log lines, `<time> <stream> <P|F> <log>`, as
/// fluent-plugin-parser-cri reads them (lib/fluent/plugin/parser_cri.rb): the line is split at
/// its first three spaces; the record is `stream`, `logtag`, `message` (`message_key`), then the
/// time text under `time`, kept by default (`keep_time_key` defaults to true there). Each line is
/// one event, a `P` part as much as an `F` line (Fluentd users join parts with the concat filter).
///
/// A `<parse>` section inside parses the message instead (`@type json`, ...): its record, plus
/// `stream` and `logtag` when `merge_cri_fields` (default true), with its time.
///
/// `@type container` uses this parser with `joinsPartials`: `P` parts are joined per stream up
/// to the closing `F` line into one event with the first part's time and the last part's logtag,
/// as Fluent Bit's `cri` multiline parser does.
public struct CRIParser: LineParser {
    public let messageKey: String
    public let keepTimeKey: Bool
    public let joinsPartials: Bool
    public let mergeCRIFields: Bool
    var subParser: (any LineParser)?
    /// parser_cri.rb's default `time_format` is `%Y-%m-%dT%H:%M:%S.%L%z`; RFC 3339 with or without
    /// a fraction is read here (`%L` reads every digit, `Z` is UTC). A `time_format` written in the
    /// section (the daemonset images set `%Y-%m-%dT%H:%M:%S.%N%:z` for containerd) is used instead.
    var timeParser = TimeParser(format: nil, zone: .fixed(offsetSeconds: 0))
    /// Partial messages in progress, per stream (stdout, stderr), with `joinsPartials`.
    var partial: [String: (time: String, message: [UInt8])] = [:]

    public init(
        messageKey: String = "message", keepTimeKey: Bool = true, joinsPartials: Bool = false,
        mergeCRIFields: Bool = true, subParser: (any LineParser)? = nil
    ) {
        self.messageKey = messageKey
        self.keepTimeKey = keepTimeKey
        self.joinsPartials = joinsPartials
        self.mergeCRIFields = mergeCRIFields
        self.subParser = subParser
    }

    public init(_ element: ConfigElement) throws {
        let sub = try element.element(named: "parse").map { try ParserRegistry.makeParser(element: $0) }
        self.init(
            messageKey: element.string("message_key", default: "message"),
            keepTimeKey: try element.bool("keep_time_key", default: true),
            mergeCRIFields: try element.bool("merge_cri_fields", default: true), subParser: sub)
        if element.has("time_format") {
            // Every Fluentd parser takes the time settings (Parser includes TimeMixin::Parser).
            timeParser = try ParserCommon(element, defaultTimeKey: "time").timeParser
        }
    }

    public var isHolding: Bool { !partial.isEmpty || (subParser?.isHolding ?? false) }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        // `text.split(" ", 4)`, which needs all four parts.
        guard let firstSpace = line.firstIndex(of: 0x20), firstSpace > 0 else { return .unmatched }
        let afterTime = firstSpace + 1
        guard let secondSpace = line[afterTime...].firstIndex(of: 0x20) else { return .unmatched }
        let tagStart = secondSpace + 1
        guard let tagEnd = line[tagStart...].firstIndex(of: 0x20) else { return .unmatched }
        let stream = String(decoding: line[afterTime..<secondSpace], as: UTF8.self)
        let logtag = String(decoding: line[tagStart..<tagEnd], as: UTF8.self)
        let timeText = String(decoding: line[0..<firstSpace], as: UTF8.self)
        let message = line[(tagEnd + 1)...]
        guard joinsPartials else {
            return emit(timeText: timeText, stream: stream, logtag: logtag, message: Array(message), now: now, into: &output)
                ? .emitted : .unmatched
        }
        if logtag.hasPrefix("P") {
            if partial[stream] == nil {
                partial[stream] = (timeText, Array(message))
            } else {
                partial[stream]!.message.append(contentsOf: message)
            }
            return .held
        }
        var text: [UInt8]
        var eventTimeText = timeText
        if let held = partial.removeValue(forKey: stream) {
            text = held.message
            text.append(contentsOf: message)
            eventTimeText = held.time
        } else {
            text = Array(message)
        }
        guard emit(timeText: eventTimeText, stream: stream, logtag: logtag, message: text, now: now, into: &output) else {
            return .unmatched
        }
        return .emitted
    }

    public mutating func flush(now: EventTime, into output: inout ParserOutput) {
        for (stream, held) in partial.sorted(by: { $0.key < $1.key }) {
            _ = emit(timeText: held.time, stream: stream, logtag: "P", message: held.message, now: now, into: &output)
        }
        partial.removeAll()
    }

    mutating func emit(
        timeText: String, stream: String, logtag: String, message: [UInt8], now: EventTime,
        into output: inout ParserOutput
    ) -> Bool {
        if var sub = subParser {
            defer { subParser = sub }
            var parsed = ParserOutput(capacity: message.count + 64)
            let outcome = message.withUnsafeBytes { sub.parse($0, now: now, into: &parsed) }
            guard outcome == .emitted else { return false }
            for event in parsed.decoded() {
                var pairs = event.record.mapValue ?? []
                if mergeCRIFields {
                    for (key, value) in [("stream", stream), ("logtag", logtag)] {
                        if let at = pairs.firstIndex(where: { $0.key.stringValue == key }) {
                            pairs[at].value = .string(value)
                        } else {
                            pairs.append(MessagePackPair(key: .string(key), value: .string(value)))
                        }
                    }
                }
                output.append(time: event.time, record: .map(pairs))
            }
            return true
        }
        guard let time = timeParser.parse(timeText, now: now) else { return false }
        var fields: [(String, MessagePackValue)] = [
            ("stream", .string(stream)), ("logtag", .string(logtag)),
            (messageKey, .string(String(decoding: message, as: UTF8.self))),
        ]
        if keepTimeKey { fields.append(("time", .string(timeText))) }
        output.append(time: time, fields: fields)
        return true
    }
}
