import RunnelCompression
import RunnelCore
import RunnelFormat

/// Turns one record (MessagePack, read in place) into the data of one Kinesis record:
/// `<inject>`, then `data_key` or the `<format>` formatter, `chomp_record`, `compression`,
/// and `append_new_line`, in fluent-plugin-kinesis' order. Bytes are appended to a caller's
/// reused buffer; nothing is built per record but the (rare) inject rewrite.
public struct RecordFormatter: Sendable {
    /// `<inject>` and `<format>`, as every output formats events.
    public var events: EventFormatter
    public var format: FormatConfiguration {
        get { events.format }
        set { events.format = newValue }
    }
    public var inject: InjectConfiguration? {
        get { events.inject }
        set { events.inject = newValue }
    }
    public var dataKey: String?
    public var compression: RecordCompression
    public var chompRecord: Bool
    public var appendNewLine: Bool
    /// Reused buffer: the uncompressed data when compressing.
    var uncompressed: [UInt8] = []

    /// Why a record produced no data.
    public enum Skip: Error, Sendable, Equatable {
        /// `data_key` is not in the record, or is nil (fluent-plugin-kinesis' KeyNotFoundError).
        case keyNotFound(String)
    }

    /// The formatter of a flush. It has no `<inject>`: that was applied when the events were
    /// written to the buffer (`KinesisSender.entriesToBuffer`), as fluent-plugin-kinesis formats.
    public init(configuration: KinesisConfiguration) {
        self.init(
            format: configuration.format, inject: nil, dataKey: configuration.dataKey,
            compression: configuration.compression, chompRecord: configuration.chompRecord,
            appendNewLine: configuration.appendNewLine)
    }

    public init(
        format: FormatConfiguration = FormatConfiguration(), inject: InjectConfiguration? = nil, dataKey: String? = nil,
        compression: RecordCompression = .none, chompRecord: Bool = false, appendNewLine: Bool = false
    ) {
        self.events = EventFormatter(format: format, inject: inject)
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
        endRecord(&out, from: start)
    }

    /// `append_new_line`: one newline ends the record, replacing a trailing one.
    private func endRecord(_ out: inout [UInt8], from start: Int) {
        guard appendNewLine else { return }
        RecordFormatter.chomp(&out, from: start)
        out.append(0x0a)
    }

    /// `append` that leaves `record` just after the record: the JSON format (the default) walks
    /// it once while writing; every other setting formats as `append` does, then skips it.
    public mutating func append(tag: String, time: EventTime, consuming record: inout MessagePackReader, to out: inout [UInt8]) throws {
        guard compression == .none, dataKey == nil, inject == nil, format.kind == .json else {
            try append(tag: tag, time: time, record: record, to: &out)
            try record.skipValue()
            return
        }
        let start = out.count
        do {
            try JSONWriter.appendValue(from: &record, to: &out)
        } catch {
            out.removeSubrange(start...)
            throw error
        }
        if format.addNewline { out.append(0x0a) }
        if chompRecord { RecordFormatter.chomp(&out, from: start) }
        endRecord(&out, from: start)
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
        try events.append(tag: tag, time: time, record: record, to: &out)
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
}
