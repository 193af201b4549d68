import RunnelConfig
import RunnelCore

/// `@type json`: one JSON object per line, or an array of objects (one event each, as Fluentd's
/// parser_json.rb does). The `time_key` field (default `time`) becomes the event time and is
/// removed unless `keep_time_key`; a line that is neither is unmatched. A key repeated in one
/// object keeps its last value, at the position of its first occurrence (a Ruby Hash).
///
/// Difference from Fluentd: a numeric time field is read as Unix time even with `time_type string`.
public struct JSONParser: LineParser {
    public var common: ParserCommon
    let timeKeyBytes: [UInt8]?
    var scratch: [UInt8] = []

    public init(common: ParserCommon = ParserCommon()) {
        self.common = common
        timeKeyBytes = common.timeKey.map { Array($0.utf8) }
        scratch.reserveCapacity(1024)
    }

    public init(_ element: ConfigElement) throws {
        // Fluentd picks one of three Ruby libraries; they read a line alike, and so does Runnel.
        if let library = element.string("json_parser"), !["oj", "yajl", "json"].contains(library) {
            throw element.rejected("json_parser", "'\(library)' is not one of oj, yajl, json")
        }
        _ = try element.integer("stream_buffer_size")
        self.init(common: try ParserCommon(element))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        var scanner = JSONReader(line)
        scanner.skipWhitespace()
        guard !scanner.isAtEnd, line[scanner.offset] == UInt8(ascii: "[") else {
            return parseObject(&scanner, now: now, wholeLine: true, into: &output) ? .emitted : .unmatched
        }
        // An array: each object is an event; parse into a side output so a bad line emits nothing.
        var events = ParserOutput(capacity: line.count + 64)
        scanner.offset += 1
        var emitted = 0
        scanner.skipWhitespace()
        if !scanner.isAtEnd, line[scanner.offset] == UInt8(ascii: "]") {
            scanner.offset += 1
        } else {
            while true {
                scanner.skipWhitespace()
                guard !scanner.isAtEnd else { return .unmatched }
                if line[scanner.offset] == UInt8(ascii: "{") {
                    guard parseObject(&scanner, now: now, wholeLine: false, into: &events) else { return .unmatched }
                    emitted += 1
                } else {
                    // Fluentd yields nothing usable for an element that is not an object.
                    var skipped: [UInt8] = []
                    guard (try? scanner.appendMessagePack(into: &skipped)) != nil else { return .unmatched }
                }
                scanner.skipWhitespace()
                guard !scanner.isAtEnd else { return .unmatched }
                if line[scanner.offset] == UInt8(ascii: ",") { scanner.offset += 1; continue }
                if line[scanner.offset] == UInt8(ascii: "]") { scanner.offset += 1; break }
                return .unmatched
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return .unmatched }
        for event in events.decoded() { output.append(time: event.time, record: event.record) }
        return emitted > 0 ? .emitted : .unmatched
    }

    /// Parses the object at the scanner and appends its event; false when it is not valid JSON,
    /// its time does not parse, or (`wholeLine`) anything but whitespace follows it.
    mutating func parseObject(
        _ scanner: inout JSONReader, now: EventTime, wholeLine: Bool,
        into output: inout ParserOutput
    ) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        var timeValue: MessagePackValue?
        let keep = common.keepTimeKey
        let timeKey = timeKeyBytes
        let count: Int
        do {
            count = try scanner.appendObjectPairs(into: &scratch) { key, valueStart, out in
                guard let timeKey, key == timeKey else { return true }
                // The last occurrence wins, as in a Ruby Hash.
                timeValue = try? MessagePackValue(decoding: Array(out[valueStart...]))
                return keep
            }
        } catch {
            return false
        }
        if wholeLine {
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { return false }
        }
        var time = common.estimateCurrentEvent ? now : EventTime(seconds: 0)
        if let timeValue, !timeValue.isNil {
            guard let parsed = common.timeParser.parse(timeValue, now: now) else { return false }
            time = parsed
        }
        if scanner.sawDuplicateKey {
            output.append(time: time, record: JSONParser.collapsed(count: count, pairs: scratch))
        } else {
            output.append(time: time, mapCount: count, encodedPairs: scratch)
        }
        scanner.sawDuplicateKey = false
        return true
    }

    static func collapsed(count: Int, pairs: [UInt8]) -> MessagePackValue {
        var writer = MessagePackWriter()
        writer.writeMapHeader(count: count)
        writer.writeRaw(pairs)
        return ((try? MessagePackValue(decoding: writer.bytes)) ?? .map([])).collapsingDuplicateKeys()
    }

    /// Parses a JSON object into ordered fields, duplicate keys collapsed (the container parsers and tests).
    static func fields(_ line: UnsafeRawBufferPointer) -> [(String, MessagePackValue)]? {
        var scratch: [UInt8] = []
        var scanner = JSONReader(line)
        guard let count = try? scanner.appendObjectPairs(into: &scratch, pair: { _, _, _ in true }) else { return nil }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        guard case .map(let pairs) = collapsed(count: count, pairs: scratch) else { return nil }
        return pairs.map { ($0.key.stringValue ?? "", $0.value) }
    }
}
