import RunnelConfig
import RunnelCore

/// `@type cri`: containerd / CRI-O log lines, `<time> <stream> <P|F> <log>`.
///
/// Records match fluent-plugin-parser-cri (parser_cri.rb): `stream`, `logtag`, `message`
/// (`message_key`), then `time`, the text, kept unless `keep_time_key false`. Partial lines (logtag `P`) are joined per stream
/// with the following lines up to the closing `F` line into one event carrying the first part's time
/// and the last part's logtag, as Fluent Bit's `cri` multiline parser does (Fluentd's parser
/// emits each part; its users join them with the concat filter).
public struct CRIParser: LineParser {
    public let messageKey: String
    public let keepTimeKey: Bool
    /// nil format: RFC 3339 with or without a fraction (Fluent Bit would fall back to the read time).
    let timeParser = TimeParser(format: nil, zone: .fixed(offsetSeconds: 0))
    /// Partial messages in progress, per stream (stdout, stderr).
    var partial: [String: (time: String, message: [UInt8])] = [:]

    public init(messageKey: String = "message", keepTimeKey: Bool = true) {
        self.messageKey = messageKey
        self.keepTimeKey = keepTimeKey
    }

    public init(_ element: ConfigElement) throws {
        self.init(messageKey: element.string("message_key", default: "message"),
                  keepTimeKey: try element.bool("keep_time_key", default: true))
    }

    public var isHolding: Bool { !partial.isEmpty }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        guard let firstSpace = line.firstIndex(of: 0x20) else { return .unmatched }
        let afterTime = firstSpace + 1
        guard let secondSpace = line[afterTime...].firstIndex(of: 0x20) else { return .unmatched }
        let stream = String(decoding: line[afterTime..<secondSpace], as: UTF8.self)
        guard stream == "stdout" || stream == "stderr" else { return .unmatched }
        let tagStart = secondSpace + 1
        let tagEnd = line[tagStart...].firstIndex(of: 0x20) ?? line.count
        let logtag = String(decoding: line[tagStart..<tagEnd], as: UTF8.self)
        let messageStart = min(tagEnd + 1, line.count)
        let timeText = String(decoding: line[0..<firstSpace], as: UTF8.self)
        let message = line[messageStart...]
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

    func emit(timeText: String, stream: String, logtag: String, message: [UInt8], now: EventTime,
              into output: inout ParserOutput) -> Bool {
        guard let time = timeParser.parse(timeText, now: now) else { return false }
        // fluent-plugin-parser-cri's order (parser_cri.rb): stream, logtag, message, then the kept time.
        var fields: [(String, MessagePackValue)] = [
            ("stream", .string(stream)), ("logtag", .string(logtag)),
            (messageKey, .string(String(decoding: message, as: UTF8.self))),
        ]
        if keepTimeKey { fields.append(("time", .string(timeText))) }
        output.append(time: time, fields: fields)
        return true
    }
}
