import RunnelCore

/// Turns a decoded message into the `EventStream` that is emitted: applies `tag` /
/// `add_tag_prefix`, and `source_address_key` / `source_hostname_key` (the only case where
/// records are touched: the map header grows and the new pairs are appended, the rest is copied).
struct ForwardEventAssembler: Sendable {
    var tag: String?
    var addTagPrefix: String?
    var sourceAddressKey: String?
    var sourceHostnameKey: String?

    init(configuration: ForwardInputConfiguration) {
        tag = configuration.tag
        addTagPrefix = configuration.addTagPrefix
        sourceAddressKey = configuration.sourceAddressKey
        sourceHostnameKey = configuration.sourceHostnameKey
    }

    var injectsSource: Bool { sourceAddressKey != nil || sourceHostnameKey != nil }

    func tag(for original: String) -> String {
        var result = tag ?? original
        if let addTagPrefix { result = addTagPrefix + "." + result }
        return result
    }

    func stream(from message: ForwardMessage, address: String, hostname: String) throws -> EventStream {
        let tag = tag(for: message.tag)
        guard injectsSource else { return EventStream(tag: tag, entries: message.entries, count: message.count) }
        var extra: [(String, String)] = []
        if let sourceAddressKey { extra.append((sourceAddressKey, address)) }
        if let sourceHostnameKey { extra.append((sourceHostnameKey, hostname)) }
        var writer = MessagePackWriter(capacity: message.entries.count + message.count * 48)
        try MessagePackReader.withReader(message.entries) { reader in
            while !reader.isAtEnd {
                _ = try reader.readArrayHeader()
                let timeRange = try reader.skipValueRange()
                let pairs = try reader.readMapHeader()
                let body = try reader.offset..<{ () throws -> Int in
                    var probe = reader
                    for _ in 0..<(pairs * 2) { try probe.skipValue() }
                    return probe.offset
                }()
                reader.offset = body.upperBound
                writer.writeArrayHeader(count: 2)
                writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[timeRange]))
                writer.writeMapHeader(count: pairs + extra.count)
                writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[body]))
                for (key, value) in extra {
                    writer.write(key)
                    writer.write(value)
                }
            }
        }
        return EventStream(tag: tag, entries: writer.bytes, count: message.count)
    }
}
