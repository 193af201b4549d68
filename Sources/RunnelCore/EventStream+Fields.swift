extension EventStream {
    /// How a field added to every record treats a record that already has the key.
    public enum FieldMerge: Sendable {
        /// Ruby's `record[key] ||= value` (in_tail's `path_key`): a value already there stays,
        /// unless it is nil or false, which is replaced where it stands.
        case unlessSet
        /// Ruby's `record.merge(fields)` (kubernetes_metadata's `docker` and `kubernetes`): the
        /// value is replaced where it stands.
        case replace
    }

    /// The same events with `fields` set in each record; a key the record lacks is appended at
    /// its end, in the given order. Records without any of the keys are copied byte for byte.
    /// (in_tail's `path_key` and the kubernetes_metadata filter add their fields with this.)
    public func settingFields(_ fields: [(key: String, value: MessagePackValue)], merge: FieldMerge) -> EventStream {
        var appended = MessagePackWriter()
        for field in fields {
            appended.write(field.key)
            appended.write(field.value)
        }
        let keys = fields.map { Array($0.key.utf8) }
        var writer = MessagePackWriter(capacity: entries.count + count * (appended.bytes.count + 2))
        var written = 0
        try? forEachEntry { time, reader in
            let recordStart = reader.offset
            guard let pairCount = try? reader.readMapHeader() else { return }
            written += 1
            let pairsStart = reader.offset
            var present = false
            for _ in 0..<pairCount {
                if let type = try? reader.peekType(), type == .string || type == .binary,
                    let range = try? reader.readStringOrBinaryRange()
                {
                    let key = UnsafeRawBufferPointer(rebasing: reader.bytes[range])
                    if keys.contains(where: { $0.elementsEqual(key) }) { present = true }
                } else {
                    try reader.skipValue()
                }
                try reader.skipValue()
            }
            writer.writeArrayHeader(count: 2)
            writer.write(time)
            guard present else {
                writer.writeMapHeader(count: pairCount + fields.count)
                writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[pairsStart..<reader.offset]))
                writer.writeRaw(appended.bytes)
                return
            }
            let bytes = Array(reader.bytes[recordStart..<reader.offset])
            var pairs = (try? MessagePackValue(decoding: bytes))?.mapValue ?? []
            for field in fields {
                if let at = pairs.firstIndex(where: { $0.key.stringValue == field.key }) {
                    switch (merge, pairs[at].value) {
                    case (.replace, _), (.unlessSet, .nil), (.unlessSet, .bool(false)): pairs[at].value = field.value
                    case (.unlessSet, _): break
                    }
                } else {
                    pairs.append(MessagePackPair(key: .string(field.key), value: field.value))
                }
            }
            writer.write(MessagePackValue.map(pairs))
        }
        return EventStream(tag: tag, entries: writer.bytes, count: written)
    }
}
