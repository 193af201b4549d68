extension MessagePackValue {
    /// The value with each map holding every key once: the last value, at the position of the
    /// first occurrence, at every depth. This is what a Ruby Hash built from `{"a":1,"b":2,"a":3}`
    /// holds (`{"a"=>3, "b"=>2}`), so it is what Fluentd's JSON parsers (Oj, Yajl, json) emit.
    public func collapsingDuplicateKeys() -> MessagePackValue {
        switch self {
        case .array(let values):
            return .array(values.map { $0.collapsingDuplicateKeys() })
        case .map(let pairs):
            var result: [MessagePackPair] = []
            result.reserveCapacity(pairs.count)
            var positions: [String: Int] = [:]
            for pair in pairs {
                let value = pair.value.collapsingDuplicateKeys()
                // Keys parsed from JSON are always strings.
                guard let key = pair.key.stringValue else {
                    result.append(MessagePackPair(key: pair.key, value: value))
                    continue
                }
                if let at = positions[key] {
                    result[at].value = value
                } else {
                    positions[key] = result.count
                    result.append(MessagePackPair(key: pair.key, value: value))
                }
            }
            return .map(result)
        default:
            return self
        }
    }
}
