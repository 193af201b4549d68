/// Cuts records, in order, into PutRecords / PutRecordBatch requests of at most `maxCount`
/// records and `maxSize` bytes (data plus partition key, as Kinesis counts them).
///
/// With `retainOrdering`, a request holds at most one record per partition key, and records
/// whose key is `blocked` (an earlier record with that key is still undelivered) are left
/// for later: Kinesis may accept a later record of a request and fail an earlier one, so this
/// is the only way that records sharing a key are never reordered.
struct PutRecordsBatcher: Sendable {
    var maxCount: Int
    var maxSize: Int
    var retainOrdering: Bool = false

    init(maxCount: Int, maxSize: Int, retainOrdering: Bool = false) {
        self.maxCount = maxCount
        self.maxSize = maxSize
        self.retainOrdering = retainOrdering
    }

    /// The requests of `configuration`'s output: for kinesis_streams_aggregated one KPL aggregate
    /// per request (each already holds up to `batch_request_max_count` records within the size
    /// limits), else `batch_request_max_count` records and `batch_request_max_size` bytes;
    /// `retain_ordering` applies to kinesis_streams only.
    init(configuration: KinesisConfiguration) {
        let aggregated = configuration.kind == .streamsAggregated
        self.init(
            maxCount: aggregated ? 1 : configuration.batchRequestMaxCount, maxSize: aggregated ? Int.max : configuration.batchRequestMaxSize,
            retainOrdering: configuration.retainOrdering && configuration.kind == .streams)
    }

    /// Takes the next request's records from `queue` (record indices in chunk order).
    /// Returns an empty array when every queued record is blocked.
    func nextBatch(
        from queue: inout [Int], store: RecordStore, blocked: Set<ArraySlice<UInt8>> = []
    ) -> [Int] {
        var batch: [Int] = []
        var size = 0
        if !retainOrdering {
            var taken = 0
            for index in queue {
                let recordSize = store.records[index].size
                if batch.count + 1 > maxCount || (size + recordSize > maxSize && !batch.isEmpty) { break }
                batch.append(index)
                size += recordSize
                taken += 1
            }
            queue.removeFirst(taken)
            return batch
        }
        var keysInBatch = blocked
        var remaining: [Int] = []
        remaining.reserveCapacity(queue.count)
        var full = false
        for index in queue {
            if full {
                remaining.append(index)
                continue
            }
            let key = store.key(of: index)
            let recordSize = store.records[index].size
            if keysInBatch.contains(key) {
                remaining.append(index)
            } else if batch.count + 1 > maxCount || (size + recordSize > maxSize && !batch.isEmpty) {
                full = true
                remaining.append(index)
            } else {
                batch.append(index)
                size += recordSize
            }
            // A key seen (sent or held back) blocks its later records in this request.
            keysInBatch.insert(key)
        }
        queue = remaining
        return batch
    }
}
