import RunnelCore

/// Cutting an event stream by chunk keys.
extension ChunkKeys {
    /// One run of entries that share chunk metadata, in their original order.
    public struct Part: Sendable {
        public var metadata: ChunkMetadata
        public var entries: [UInt8]
        public var count: Int
    }

    /// True when only the tag (or nothing) cuts chunks: a stream is one part without reading records.
    public var cutsByTagOnly: Bool { time == nil && recordKeys.isEmpty }

    /// Splits `stream` into parts by metadata; entries keep their order inside each part.
    public func split(_ stream: EventStream) throws -> [Part] {
        let tagValue = tag ? stream.tag : nil
        let offset = time.map { $0.useUTC ? 0 : $0.zone.flatMap(ChunkKeys.parseZoneOffset) }
        if cutsByTagOnly {
            return [Part(metadata: ChunkMetadata(tag: tagValue), entries: stream.entries, count: stream.count)]
        }
        let accessors = recordKeys.map(RecordAccessor.init)
        var parts: [Part] = []
        var index: [ChunkMetadata: Int] = [:]
        try stream.entries.withUnsafeBytes { raw in
            var reader = MessagePackReader(bytes: raw)
            while !reader.isAtEnd {
                let start = reader.offset
                var metadata = ChunkMetadata(tag: tagValue)
                try reader.readEntry { eventTime, record in
                    if let time {
                        metadata.timekey = time.periodStart(of: Int(eventTime.seconds))
                        metadata.utcOffset = offset ?? nil
                    }
                    if !accessors.isEmpty {
                        var values: [String: String] = [:]
                        for (key, accessor) in zip(recordKeys, accessors) {
                            var copy = record
                            values[key] = try accessor.map { try Self.placeholderText(at: $0, in: &copy) } ?? ""
                        }
                        metadata.variables = values
                    }
                }
                let bytes = raw[start..<reader.offset]
                if let slot = index[metadata] {
                    parts[slot].entries.append(contentsOf: bytes)
                    parts[slot].count += 1
                } else {
                    index[metadata] = parts.count
                    parts.append(Part(metadata: metadata, entries: Array(bytes), count: 1))
                }
            }
        }
        return parts
    }

    /// The value at `accessor` in the map `reader` points at, as placeholder text: a string as it
    /// is, nil or a missing field as "", anything else as JSON.
    static func placeholderText(at accessor: RecordAccessor, in reader: inout MessagePackReader) throws -> String {
        guard try accessor.seek(&reader) else { return "" }
        switch try reader.peekType() {
        case .string: return try reader.readString()
        case .nil: return ""
        default:
            var json: [UInt8] = []
            try JSONWriter.appendValue(from: &reader, to: &json)
            return String(decoding: json, as: UTF8.self)
        }
    }
}
