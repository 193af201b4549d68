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

    func stream(from message: ForwardMessage, address: String, hostname: String) -> EventStream {
        let tag = tag(for: message.tag)
        guard injectsSource else { return EventStream(tag: tag, entries: message.entries, count: message.count) }
        var extra: [(key: String, value: MessagePackValue)] = []
        if let sourceAddressKey { extra.append((sourceAddressKey, .string(address))) }
        if let sourceHostnameKey { extra.append((sourceHostnameKey, .string(hostname))) }
        return EventStream(tag: tag, entries: message.entries, count: message.count).settingFields(extra, merge: .append)
    }
}
