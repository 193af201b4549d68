import RunnelCompression
import RunnelCore

/// Turns one record (MessagePack, read in place) into the data of one Kinesis record:
/// `<inject>`, then `data_key` or the `<format>` formatter, `chomp_record`, `compression`,
/// and `append_new_line`, in fluent-plugin-kinesis' order. Bytes are appended to a caller's
/// reused buffer; nothing is built per record but the (rare) inject rewrite.
public struct RecordFormatter: Sendable {
    public var format: FormatConfiguration
    public var inject: InjectConfiguration?
    public var dataKey: String?
    public var compression: RecordCompression
    public var chompRecord: Bool
    public var appendNewLine: Bool
    /// Reused buffers: the injected record, and the uncompressed data when compressing.
    var injected = MessagePackWriter(capacity: 1024)
    var uncompressed: [UInt8] = []

    /// Why a record produced no data.
    public enum Skip: Error, Sendable, Equatable {
        /// `data_key` is not in the record, or is nil (fluent-plugin-kinesis' KeyNotFoundError).
        case keyNotFound(String)
    }

    public init(configuration: KinesisConfiguration) {
        self.init(
            format: configuration.format, inject: configuration.inject, dataKey: configuration.dataKey,
            compression: configuration.compression, chompRecord: configuration.chompRecord,
            appendNewLine: configuration.appendNewLine)
    }

    public init(
        format: FormatConfiguration = FormatConfiguration(), inject: InjectConfiguration? = nil, dataKey: String? = nil,
        compression: RecordCompression = .none, chompRecord: Bool = false, appendNewLine: Bool = false
    ) {
        self.format = format
        self.inject = inject
        self.dataKey = dataKey
        self.compression = compression
        self.chompRecord = chompRecord
        self.appendNewLine = appendNewLine
    }

    /// Appends the data for the record at `record` to `out`. Throws `Skip` for a record that
    /// cannot be formatted (nothing is appended then), `MessagePackError` for broken input.
    public mutating func append(tag: String, time: EventTime, record: MessagePackReader, to out: inout [UInt8]) throws {
        let start = out.count
        do {
            if compression == .none {
                try appendUncompressed(tag: tag, time: time, record: record, to: &out)
            } else {
                var buffer: [UInt8] = []
                swap(&buffer, &uncompressed)
                defer { swap(&buffer, &uncompressed) }
                buffer.removeAll(keepingCapacity: true)
                try appendUncompressed(tag: tag, time: time, record: record, to: &buffer)
                try buffer.withUnsafeBytes { try Zlib.compress($0, as: compression == .gzip ? .gzip : .zlib, appendingTo: &out) }
            }
        } catch {
            out.removeSubrange(start...)
            throw error
        }
        if appendNewLine {
            RecordFormatter.chomp(&out, from: start)
            out.append(0x0a)
        }
    }

    mutating func appendUncompressed(tag: String, time: EventTime, record: MessagePackReader, to out: inout [UInt8]) throws {
        if let dataKey {
            var reader = record
            guard try RecordAccessor.seekKey(dataKey, in: &reader), try reader.peekType() != .nil else {
                throw Skip.keyNotFound(dataKey)
            }
            try RubyText.appendToS(from: &reader, to: &out)
            return
        }
        let start = out.count
        if let inject {
            injected.bytes.removeAll(keepingCapacity: true)
            var source = record
            try RecordFormatter.inject(inject, tag: tag, time: time, record: &source, into: &injected)
            try injected.bytes.withUnsafeBytes { raw in
                try appendFormatted(tag: tag, time: time, record: MessagePackReader(bytes: raw), to: &out)
            }
        } else {
            try appendFormatted(tag: tag, time: time, record: record, to: &out)
        }
        if chompRecord { RecordFormatter.chomp(&out, from: start) }
    }

    /// Ruby's `String#chomp`: drops one trailing `\r\n`, `\n` or `\r` from `out[start...]`.
    static func chomp(_ out: inout [UInt8], from start: Int) {
        guard out.count > start else { return }
        if out[out.count - 1] == 0x0a {
            out.removeLast()
            if out.count > start, out[out.count - 1] == 0x0d { out.removeLast() }
        } else if out[out.count - 1] == 0x0d {
            out.removeLast()
        }
    }

    /// Every `[time, record]` entry of `entries` with `inject` applied, for events of `tag`.
    public static func injecting(_ inject: InjectConfiguration, tag: String, entries: [UInt8]) throws -> [UInt8] {
        var writer = MessagePackWriter(capacity: entries.count + entries.count / 4 + 64)
        try MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                try reader.readEntry { time, record in
                    writer.writeArrayHeader(count: 2)
                    writer.write(time)
                    try RecordFormatter.inject(inject, tag: tag, time: time, record: &record, into: &writer)
                }
            }
        }
        return writer.bytes
    }

    /// Writes `record` with the injected fields, as Fluentd's inject helper does
    /// (`inject_values_to_record`, lib/fluent/plugin_helper/inject.rb): a key the record already has
    /// gets the injected value in its place; new keys are appended in Fluentd's order (hostname,
    /// worker id, tag, time).
    static func inject(
        _ inject: InjectConfiguration, tag: String, time: EventTime, record: inout MessagePackReader,
        into writer: inout MessagePackWriter
    ) throws {
        let keys = inject.keys
        let count = try record.readMapHeader()
        var pairs: [(key: Range<Int>, value: Range<Int>, injected: Int?)] = []
        pairs.reserveCapacity(count)
        var present = [Bool](repeating: false, count: keys.count)
        for _ in 0..<count {
            var match: Int?
            if try record.peekType() == .string {
                var keyReader = record
                let key = try keyReader.readString()
                match = keys.firstIndex { $0.name == key }
            }
            let key = try record.skipValueRange()
            let value = try record.skipValueRange()
            if let match { present[match] = true }
            pairs.append((key, value, match))
        }
        writer.writeMapHeader(count: count + present.filter { !$0 }.count)
        for pair in pairs {
            writer.writeRaw(UnsafeRawBufferPointer(rebasing: record.bytes[pair.key]))
            if let field = pair.injected {
                inject.write(keys[field].field, tag: tag, time: time, to: &writer)
            } else {
                writer.writeRaw(UnsafeRawBufferPointer(rebasing: record.bytes[pair.value]))
            }
        }
        for (index, key) in keys.enumerated() where !present[index] {
            writer.write(key.name)
            inject.write(key.field, tag: tag, time: time, to: &writer)
        }
    }
}
