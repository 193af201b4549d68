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
        let paths = recordKeys.map(Self.accessorPath)
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
                    if !paths.isEmpty {
                        var values: [String: String] = [:]
                        for (key, path) in zip(recordKeys, paths) {
                            var copy = record
                            values[key] = try Self.lookup(path, in: &copy) ?? ""
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

    /// `name` → [name]; `$.a.b` → [a, b]; `$['a']['b']` → [a, b].
    static func accessorPath(_ key: String) -> [String] {
        guard key.hasPrefix("$") else { return [key] }
        var components: [String] = []
        var rest = Substring(key.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                components.append(String(rest[..<end]))
                rest = rest[end...]
            } else if rest.hasPrefix("['"), let close = rest.range(of: "']") {
                components.append(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close.lowerBound]))
                rest = rest[close.upperBound...]
            } else {
                components.append(String(rest))
                break
            }
        }
        return components
    }

    /// The value at `path` in the map `reader` points at, as placeholder text; nil when absent.
    static func lookup(_ path: [String], in reader: inout MessagePackReader) throws -> String? {
        var remaining = path[...]
        while let name = remaining.first {
            guard try reader.peekType() == .map else { return nil }
            let pairs = try reader.readMapHeader()
            var found = false
            for _ in 0..<pairs {
                if try reader.peekType() == .string {
                    if try reader.readString() == name {
                        found = true
                        break
                    }
                } else {
                    try reader.skipValue()
                }
                try reader.skipValue()
            }
            guard found else { return nil }
            remaining = remaining.dropFirst()
        }
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
