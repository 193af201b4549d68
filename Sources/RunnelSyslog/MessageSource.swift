import RunnelCore

/// Who sent a message: what `source_address_key` and `source_hostname_key` put in records.
public struct MessageSource: Sendable, Equatable {
    public var address: String
    /// The peer's name (reverse DNS with `resolve_hostname`), else its address.
    public var hostname: String

    public init(address: String, hostname: String? = nil) {
        self.address = address
        self.hostname = hostname ?? address
    }
}

/// `source_address_key` and `source_hostname_key`, shared by in_tcp, in_udp and in_syslog.
public struct SourceKeys: Sendable, Equatable {
    public var addressKey: String?
    public var hostnameKey: String?

    public init(addressKey: String? = nil, hostnameKey: String? = nil) {
        self.addressKey = addressKey
        self.hostnameKey = hostnameKey
    }

    /// Sets the keys in a record (Ruby's `record[key] = value`: an existing key is replaced in place).
    public func apply(_ source: MessageSource, to pairs: inout [MessagePackPair]) {
        if let addressKey { pairs.setField(addressKey, .string(source.address)) }
        if let hostnameKey { pairs.setField(hostnameKey, .string(source.hostname)) }
    }
}

extension [MessagePackPair] {
    /// Ruby's `record[key] = value`.
    mutating func setField(_ key: String, _ value: MessagePackValue) {
        if let index = firstIndex(where: { $0.key.stringValue == key }) {
            self[index].value = value
        } else {
            append(MessagePackPair(key: .string(key), value: value))
        }
    }

    /// Ruby's `record.delete(key)`.
    mutating func removeField(_ key: String) -> MessagePackValue? {
        guard let index = firstIndex(where: { $0.key.stringValue == key }) else { return nil }
        return remove(at: index).value
    }
}
