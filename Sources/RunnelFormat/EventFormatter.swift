import RunnelCore

/// Fluentd's write-time formatting shared by every output: `<inject>` (hostname, worker id, tag,
/// time) and then the `<format>` formatter, from a record read in place to bytes appended to a
/// caller's reused buffer (`Output#format` with the inject and formatter helpers).
public struct EventFormatter: Sendable {
    public var format: FormatConfiguration
    public var inject: InjectConfiguration?
    /// Reused buffer for the injected record.
    var injected = MessagePackWriter(capacity: 1024)

    public init(format: FormatConfiguration = FormatConfiguration(), inject: InjectConfiguration? = nil) {
        self.format = format
        self.inject = inject
    }

    /// Appends `record` with `<inject>` applied, formatted by `<format>`.
    public mutating func append(tag: String, time: EventTime, record: MessagePackReader, to out: inout [UInt8]) throws {
        guard let inject else {
            try appendFormatted(tag: tag, time: time, record: record, to: &out)
            return
        }
        injected.bytes.removeAll(keepingCapacity: true)
        var source = record
        try EventFormatter.inject(inject, tag: tag, time: time, record: &source, into: &injected)
        let bytes = injected.bytes
        try bytes.withUnsafeBytes { raw in
            try appendFormatted(tag: tag, time: time, record: MessagePackReader(bytes: raw), to: &out)
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
                    try EventFormatter.inject(inject, tag: tag, time: time, record: &record, into: &writer)
                }
            }
        }
        return writer.bytes
    }

    /// Writes `record` with the injected fields, as Fluentd's inject helper does
    /// (`inject_values_to_record`, lib/fluent/plugin_helper/inject.rb): a key the record already has
    /// gets the injected value in its place; new keys are appended in Fluentd's order (hostname,
    /// worker id, tag, time).
    public static func inject(
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
