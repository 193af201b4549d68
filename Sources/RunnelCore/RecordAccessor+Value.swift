extension RecordAccessor {
    /// The value at the path in a decoded record, or nil when a step is missing.
    public func value(in record: MessagePackValue) -> MessagePackValue? {
        var current = record
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }
}
