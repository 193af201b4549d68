extension KinesisSender {
    /// Packs formatted records into KPL aggregates of at most `batch_request_max_count` records
    /// and `min(max_record_size, batch_request_max_size)` bytes (partition key included),
    /// one partition key each: `fixed_partition_key`, else a random one.
    func aggregate(_ store: RecordStore, stream: String) -> RecordStore {
        var out = RecordStore(capacity: store.bytes.count + store.count * 8 + 64)
        var keys = PartitionKeyExtractor(accessor: nil)
        let limit = min(configuration.maxRecordSize, configuration.batchRequestMaxSize)
        var group: [Int] = []
        var groupSize = 0
        func flush() {
            guard !group.isEmpty else { return }
            var key: [UInt8] = []
            if let fixed = configuration.fixedPartitionKey { key = Array(fixed.utf8) } else { keys.appendRandom(to: &key) }
            let dataStart = out.bytes.count
            store.bytes.withUnsafeBytes { source in
                KPLAggregator.append(records: group.map { store.records[$0].data }, from: source, partitionKey: key, to: &out.bytes)
            }
            let keyStart = out.bytes.count
            out.bytes.append(contentsOf: key)
            let first = out.entryIndices.count
            for index in group { out.entryIndices.append(contentsOf: store.entries(of: index)) }
            out.records.append(
                RecordStore.Record(data: dataStart..<keyStart, key: keyStart..<out.bytes.count, entries: first..<out.entryIndices.count))
            group.removeAll(keepingCapacity: true)
        }
        let keyCount = configuration.fixedPartitionKey?.utf8.count ?? 32
        for index in 0..<store.count {
            let recordSize = KPLAggregator.recordSize(dataCount: store.records[index].data.count)
            if !group.isEmpty
                && (groupSize + recordSize + keyCount > limit || group.count >= configuration.batchRequestMaxCount)
            {
                flush()
            }
            if group.isEmpty { groupSize = KPLAggregator.overhead(keyCount: keyCount) }
            group.append(index)
            groupSize += recordSize
        }
        flush()
        return out
    }
}
