import Logging
import RunnelBuffer

extension KinesisSender {
    /// What became of a chunk's records.
    struct Outcome {
        var accepted = EntrySet()
        var failure: Failure?
    }

    struct Failure {
        var error: DeliveryError
        /// Retrying cannot help (missing stream, access denied, invalid request).
        var permanent: Bool
    }

    /// What became of one request and its per-record retries.
    enum BatchResult {
        /// Every record was answered; `failed` still failed after the retries, with their last error.
        case answered(accepted: [Int], failed: [(record: Int, code: String, message: String)])
        /// A whole request failed; `accepted` were taken by earlier attempts.
        case requestFailed(KinesisError, accepted: [Int])
    }

    /// Sends every record of `store`, in order, in requests cut by the batcher.
    func deliver(_ store: RecordStore, stream: String) async -> Outcome {
        var outcome = Outcome()
        var queue = Array(0..<store.count)
        let batcher = PutRecordsBatcher(
            maxCount: configuration.kind == .streamsAggregated ? 1 : configuration.batchRequestMaxCount,
            maxSize: configuration.kind == .streamsAggregated ? Int.max : configuration.batchRequestMaxSize,
            retainOrdering: configuration.retainOrdering && configuration.kind == .streams)
        var blocked: Set<ArraySlice<UInt8>> = []
        var body: [UInt8] = []
        var tokenRefreshed = false
        while !queue.isEmpty {
            let batch = batcher.nextBatch(from: &queue, store: store, blocked: blocked)
            if batch.isEmpty { break }
            let result = await sendWithRetries(batch, store: store, stream: stream, body: &body, tokenRefreshed: &tokenRefreshed)
            switch result {
            case .answered(let accepted, let failed):
                for record in accepted { for entry in store.entries(of: record) { outcome.accepted.insert(entry) } }
                guard let first = failed.first else { continue }
                let codes = Dictionary(grouping: failed, by: \.code).mapValues(\.count)
                let summary = codes.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
                if configuration.dropFailedRecordsAfterBatchRequestRetries {
                    let entries = failed.reduce(0) { $0 + store.entries(of: $1.record).count }
                    metrics.recordsDropped(entries, reason: "retries_exhausted", stream: stream)
                    logger.error(
                        "Records dropped after batch request retries (drop_failed_records_after_batch_request_retries)",
                        metadata: [
                            "kinesis.stream": "\(stream)", "records": "\(entries)", "errors": "\(summary)",
                            "error_message": "\(truncate(first.message))",
                        ])
                    for item in failed { for entry in store.entries(of: item.record) { outcome.accepted.insert(entry) } }
                } else {
                    outcome.failure = Failure(
                        error: DeliveryError(
                            "\(failed.count) records for stream '\(stream)' still failing after \(configuration.retriesOnBatchRequest) batch retries (\(summary)); left to the buffer's retry",
                            code: first.code),
                        permanent: false)
                    if batcher.retainOrdering { for item in failed { blocked.insert(store.key(of: item.record)) } }
                }
            case .requestFailed(let error, let accepted):
                for record in accepted { for entry in store.entries(of: record) { outcome.accepted.insert(entry) } }
                outcome.failure = Failure(error: error.deliveryError, permanent: !error.isRetryable)
                metrics.requestFailed(code: error.code ?? "\(error.kind)", stream: stream)
                if error.isRetryable {
                    warn("request.\(error.code ?? "transport")", "Kinesis request failed; the buffer will retry", ["error": "\(error)"], stream: stream)
                } else {
                    logger.error("Kinesis request rejected", metadata: ["kinesis.stream": "\(stream)", "error": "\(error)"])
                }
                return outcome
            }
        }
        return outcome
    }

    /// Sends `batch`, then re-sends the records the answer reports as failed, alone and in
    /// order, per `KinesisRetryPolicy`. An expired token is refreshed and the request re-sent
    /// at once, once per chunk.
    func sendWithRetries(
        _ batch: [Int], store: RecordStore, stream: String, body: inout [UInt8], tokenRefreshed: inout Bool
    ) async -> BatchResult {
        var policy = KinesisRetryPolicy(
            maxRetries: configuration.retriesOnBatchRequest, resetBackoffIfSuccess: configuration.resetBackoffIfSuccess)
        var current = batch
        var accepted: [Int] = []
        while true {
            PutRecordsRequest.writeBody(kind: configuration.kind, streamName: stream, records: current, store: store, into: &body)
            let response: PutRecordsResponse
            do {
                response = try await client.send(body: body, stream: stream)
            } catch let error {
                if error.isExpiredToken && !tokenRefreshed {
                    tokenRefreshed = true
                    logger.info("Credentials expired; refreshing and retrying", metadata: ["kinesis.stream": "\(stream)"])
                    await client.credentials.invalidate()
                    continue
                }
                return .requestFailed(error, accepted: accepted)
            }
            guard response.results.count == current.count else {
                let error = KinesisError(
                    .transport, message: "answer has \(response.results.count) results for \(current.count) records",
                    stream: stream, region: configuration.region)
                return .requestFailed(error, accepted: accepted)
            }
            var failed: [(record: Int, code: String, message: String)] = []
            var shipped = 0
            for (record, result) in zip(current, response.results) {
                if let code = result.errorCode {
                    failed.append((record, code, result.errorMessage ?? ""))
                } else {
                    accepted.append(record)
                    shipped += 1
                }
            }
            if shipped > 0 {
                metrics.recordsSent(
                    configuration.kind == .streamsAggregated
                        ? current.filter { !failed.map(\.record).contains($0) }.reduce(0) { $0 + store.entries(of: $1).count }
                        : shipped,
                    stream: stream)
            }
            if failed.isEmpty { return .answered(accepted: accepted, failed: []) }
            for (code, items) in Dictionary(grouping: failed, by: \.code) {
                metrics.recordsFailed(items.count, code: code, stream: stream)
            }
            switch policy.next(anyAccepted: shipped > 0, jitter: jitter()) {
            case .giveUp:
                return .answered(accepted: accepted, failed: failed)
            case .retry(let wait, let attempt):
                if configuration.monitorNumOfBatchRequestRetries { metrics.batchRetry(stream: stream) }
                warn(
                    "records.\(failed[0].code)", "Kinesis did not take some records; retrying them",
                    [
                        "failed": "\(failed.count)", "error_code": "\(failed[0].code)",
                        "error_message": "\(truncate(failed[0].message))", "retry": "\(attempt)",
                        "wait_seconds": "\(wait)",
                    ], stream: stream)
                do {
                    try await clock.sleep(for: wait)
                } catch {
                    return .answered(accepted: accepted, failed: failed)
                }
                current = failed.map(\.record)
            }
        }
    }

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
