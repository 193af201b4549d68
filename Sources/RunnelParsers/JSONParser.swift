import RunnelConfig
import RunnelCore

/// `@type json`: one JSON object per line. The `time_key` field (default `time`) becomes the
/// event time and is removed unless `keep_time_key`; a line that is not a JSON object is unmatched.
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
        self.init(common: try ParserCommon(element))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        scratch.removeAll(keepingCapacity: true)
        var timeValue: MessagePackValue?
        var scanner = JSONToMessagePack(line)
        let keep = common.keepTimeKey
        let timeKey = timeKeyBytes
        let count: Int
        do {
            count = try scanner.parseTopObject(into: &scratch) { key, valueStart, out in
                guard let timeKey, key == timeKey else { return true }
                timeValue = try? MessagePackValue(decoding: Array(out[valueStart...]))
                return keep
            }
        } catch {
            return .unmatched
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return .unmatched }
        var time = common.estimateCurrentEvent ? now : EventTime(seconds: 0)
        if let timeValue, !timeValue.isNil {
            guard let parsed = common.timeParser.parse(timeValue, now: now) else { return .unmatched }
            time = parsed
        }
        output.append(time: time, mapCount: count, encodedPairs: scratch)
        return .emitted
    }

    /// Parses a JSON object into ordered fields (the container parsers and tests).
    static func fields(_ line: UnsafeRawBufferPointer) -> [(String, MessagePackValue)]? {
        var scratch: [UInt8] = []
        var scanner = JSONToMessagePack(line)
        guard let count = try? scanner.parseTopObject(into: &scratch, pair: { _, _, _ in true }) else { return nil }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        var writer = MessagePackWriter()
        writer.writeMapHeader(count: count)
        writer.writeRaw(scratch)
        guard case .map(let pairs)? = try? MessagePackValue(decoding: writer.bytes) else { return nil }
        return pairs.map { ($0.key.stringValue ?? "", $0.value) }
    }
}
