import RunnelConfig
import RunnelCore

/// `@type csv`, `@type tsv` and `@type ltsv`: fields split by a delimiter.
/// csv/tsv name the fields with `keys` (required) and have no time key unless `time_key` is set;
/// ltsv reads `label:value` pairs (`delimiter` tab, `label_delimiter` `:`) with `time_key` `time`.
public struct DelimitedParser: LineParser {
    public enum Kind: Sendable { case csv, tsv, ltsv }

    public let kind: Kind
    public let keys: [String]
    public let delimiter: [UInt8]
    public let labelDelimiter: UInt8
    public var common: ParserCommon

    public init(
        kind: Kind, keys: [String] = [], delimiter: String? = nil, labelDelimiter: String = ":",
        common: ParserCommon? = nil
    ) {
        self.kind = kind
        self.keys = keys
        let defaultDelimiter = kind == .csv ? "," : "\t"
        self.delimiter = Array((delimiter ?? defaultDelimiter).utf8)
        self.labelDelimiter = labelDelimiter.utf8.first ?? UInt8(ascii: ":")
        self.common = common ?? ParserCommon(timeKey: kind == .ltsv ? "time" : nil)
    }

    public init(kind: Kind, _ element: ConfigElement) throws {
        let keys = kind == .ltsv ? [] : try element.array("keys") ?? { throw element.rejected("keys", "is required for \(kind)") }()
        self.init(
            kind: kind, keys: keys, delimiter: element.string("delimiter"),
            labelDelimiter: element.string("label_delimiter", default: ":"),
            common: try ParserCommon(element, defaultTimeKey: kind == .ltsv ? "time" : nil))
        _ = element.string("parser_engine")
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        var fields: [(name: String, value: String?)] = []
        switch kind {
        case .ltsv:
            for item in split(line) where !item.isEmpty {
                guard let colon = item.firstIndex(of: labelDelimiter) else { continue }
                fields.append(
                    (
                        String(decoding: item[..<colon], as: UTF8.self),
                        String(decoding: item[(colon + 1)...], as: UTF8.self)
                    ))
            }
        case .tsv:
            let values = split(line)
            for (index, key) in keys.enumerated() {
                fields.append((key, index < values.count ? String(decoding: values[index], as: UTF8.self) : nil))
            }
        case .csv:
            guard let values = DelimitedParser.splitCSV(line, delimiter: delimiter.first ?? UInt8(ascii: ",")) else {
                return .unmatched
            }
            for (index, key) in keys.enumerated() {
                fields.append((key, index < values.count ? values[index] : nil))
            }
        }
        return common.emit(textFields: fields, now: now, into: &output) ? .emitted : .unmatched
    }

    func split(_ line: UnsafeRawBufferPointer) -> [Slice<UnsafeRawBufferPointer>] {
        var parts: [Slice<UnsafeRawBufferPointer>] = []
        var start = 0
        var i = 0
        let d = delimiter
        while i + d.count <= line.count {
            if line[i] == d[0], d.count == 1 || (0..<d.count).allSatisfy({ line[i + $0] == d[$0] }) {
                parts.append(line[start..<i])
                i += d.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(line[start..<line.count])
        return parts
    }

    /// RFC 4180 fields: quoted fields may hold delimiters and `""` for a quote. nil when a quote is left open.
    static func splitCSV(_ line: UnsafeRawBufferPointer, delimiter: UInt8) -> [String]? {
        var values: [String] = []
        var current: [UInt8] = []
        var i = 0
        var quoted = false
        while i < line.count {
            let b = line[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < line.count, line[i + 1] == UInt8(ascii: "\"") {
                        current.append(b)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(b)
                }
            } else if b == UInt8(ascii: "\""), current.isEmpty {
                quoted = true
            } else if b == delimiter {
                values.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(b)
            }
            i += 1
        }
        guard !quoted else { return nil }
        values.append(String(decoding: current, as: UTF8.self))
        return values
    }
}
