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
                try Compressor.compress(buffer, as: compression, appendingTo: &out)
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

    /// Writes `record` with the injected fields (hostname, tag, time, in Fluentd's order);
    /// an injected key replaces a field of the same name.
    static func inject(
        _ inject: InjectConfiguration, tag: String, time: EventTime, record: inout MessagePackReader,
        into writer: inout MessagePackWriter
    ) throws {
        let injectedKeys = [inject.hostnameKey, inject.tagKey, inject.timeKey].compactMap { $0 }
        let count = try record.readMapHeader()
        var kept: [Range<Int>] = []
        for _ in 0..<count {
            let keyStart = record.offset
            var replaced = false
            if try record.peekType() == .string {
                var keyReader = record
                let key = try keyReader.readString()
                replaced = injectedKeys.contains(key)
            }
            try record.skipValue()
            try record.skipValue()
            if !replaced { kept.append(keyStart..<record.offset) }
        }
        writer.writeMapHeader(count: kept.count + injectedKeys.count)
        for range in kept { writer.writeRaw(UnsafeRawBufferPointer(rebasing: record.bytes[range])) }
        if let key = inject.hostnameKey {
            writer.write(key)
            writer.write(inject.hostname)
        }
        if let key = inject.tagKey {
            writer.write(key)
            writer.write(tag)
        }
        if let key = inject.timeKey {
            writer.write(key)
            switch inject.timeType {
            case .string:
                var text: [UInt8] = []
                inject.time.append(time, to: &text)
                writer.writeString(utf8: text)
            case .unixtime: writer.write(Int64(time.seconds))
            case .float: writer.write(time.timeInterval)
            }
        }
    }
}
