extension EventStream {
    /// How a field added to every record treats a record that already has the key.
    public enum FieldMerge: Sendable {
        /// Ruby's `record[key] ||= value` (in_tail's `path_key`): a value already there stays,
        /// unless it is nil or false, which is replaced where it stands.
        case unlessSet
        /// Ruby's `record.merge(fields)` (kubernetes_metadata's `docker` and `kubernetes`): the
        /// value is replaced where it stands.
        case replace
        /// The pairs are appended without looking at the record's keys (in_forward's
        /// `source_address_key` / `source_hostname_key`): Ruby's `record[key] = value` as every
        /// MessagePack reader here sees it, the last of duplicate keys winning. No key is read,
        /// so this is the cheap one for input hot paths.
        case append
    }

    /// The same events with `fields` set in each record; a key the record lacks is appended at
    /// its end, in the given order. Times and records without any of the keys are copied byte
    /// for byte. The walk ends at the first entry that is not `[time, record]`.
    public func settingFields(_ fields: [(key: String, value: MessagePackValue)], merge: FieldMerge) -> EventStream {
        guard !fields.isEmpty else { return self }
        var appended = MessagePackWriter()
        for field in fields {
            appended.write(field.key)
            appended.write(field.value)
        }
        let keys = fields.map { Array($0.key.utf8) }
        var writer = MessagePackWriter(capacity: entries.count + count * (appended.bytes.count + 2))
        var written = 0
        MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                guard let entry = try? reader.readEntryRanges() else { return }
                let time = UnsafeRawBufferPointer(rebasing: reader.bytes[entry.time])
                var record = MessagePackReader(bytes: reader.bytes, offset: entry.record.lowerBound)
                guard let pairCount = try? record.readMapHeader() else { return }
                let pairs = record.offset..<entry.record.upperBound
                written += 1
                writer.writeArrayHeader(count: 2)
                writer.writeRaw(time)
                if merge == .append || !Self.hasAnyKey(keys, pairCount: pairCount, in: &record) {
                    writer.writeMapHeader(count: pairCount + fields.count)
                    writer.writeRaw(UnsafeRawBufferPointer(rebasing: reader.bytes[pairs]))
                    writer.writeRaw(appended.bytes)
                } else {
                    writer.write(MessagePackValue.map(Self.merged(fields, into: reader.bytes[entry.record], merge: merge)))
                }
            }
        }
        return EventStream(tag: tag, entries: writer.bytes, count: written)
    }

    /// True when one of the map's `pairCount` string keys (the reader is after the map header) is in `keys`.
    private static func hasAnyKey(_ keys: [[UInt8]], pairCount: Int, in reader: inout MessagePackReader) -> Bool {
        for _ in 0..<pairCount {
            if let type = try? reader.peekType(), type == .string || type == .binary,
                let range = try? reader.readStringOrBinaryRange()
            {
                let key = UnsafeRawBufferPointer(rebasing: reader.bytes[range])
                if keys.contains(where: { $0.elementsEqual(key) }) { return true }
            } else if (try? reader.skipValue()) == nil {
                return false
            }
            if (try? reader.skipValue()) == nil { return false }
        }
        return false
    }

    private static func merged(
        _ fields: [(key: String, value: MessagePackValue)], into record: Slice<UnsafeRawBufferPointer>, merge: FieldMerge
    ) -> [MessagePackPair] {
        var pairs = (try? MessagePackValue(decoding: Array(record)))?.mapValue ?? []
        for field in fields {
            if let at = pairs.firstIndex(where: { $0.key.stringValue == field.key }) {
                switch (merge, pairs[at].value) {
                case (.replace, _), (.append, _), (.unlessSet, .nil), (.unlessSet, .bool(false)): pairs[at].value = field.value
                case (.unlessSet, _): break
                }
            } else {
                pairs.append(MessagePackPair(key: .string(field.key), value: field.value))
            }
        }
        return pairs
    }
}
