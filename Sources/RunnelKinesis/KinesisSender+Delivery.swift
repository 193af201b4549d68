import Logging
import RunnelBuffer
import RunnelCore
import Synchronization

extension KinesisSender {
    typealias Outcome = PutRecordsDeliveryStateMachine.Outcome

    /// Sends `store` with up to `max_concurrent_requests` requests out at once: its requests (as
    /// the batcher cuts them) are split into that many runs of consecutive requests, each
    /// delivered on its own, and the outcomes merged. One run with `retain_ordering`, whose
    /// guarantee needs the records of a key to go one request after another.
    func deliverConcurrently(_ store: RecordStore, stream: String, chunk: ChunkToSend) async -> Outcome {
        let runs = configuration.retainOrdering ? 1 : configuration.maxConcurrentRequests
        let parts = Self.split(store, into: runs, batcher: PutRecordsBatcher(configuration: configuration))
        guard parts.count > 1 else { return await deliver(store, stream: stream, chunk: chunk) }
        return await withTaskGroup(of: Outcome.self) { group in
            for part in parts { group.addTask { await self.deliver(store, stream: stream, chunk: chunk, records: part) } }
            var merged = Outcome()
            for await outcome in group { merged.merge(outcome) }
            return merged
        }
    }

    /// `store`'s records in at most `runs` ranges of whole requests.
    static func split(_ store: RecordStore, into runs: Int, batcher: PutRecordsBatcher) -> [Range<Int>] {
        guard runs > 1, store.count > 0 else { return [0..<store.count] }
        var plain = batcher
        plain.retainOrdering = false
        var queue = Array(0..<store.count)
        var ends: [Int] = []
        while !queue.isEmpty {
            let batch = plain.nextBatch(from: &queue, store: store)
            ends.append((batch.last ?? 0) + 1)
        }
        // Run i takes requests [i * n / runs, (i + 1) * n / runs): as even as whole requests allow.
        let count = min(runs, ends.count)
        var ranges: [Range<Int>] = []
        var start = 0
        for run in 0..<count {
            let end = ends[(run + 1) * ends.count / count - 1]
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// Sends every record of `store` to `stream` as `PutRecordsDeliveryStateMachine` decides:
    /// this only carries out its actions (requests, waits on the injected clock, credential
    /// refreshes), counts and logs.
    /// `chunk` says whether failed records may be deferred, their attempts so far, and whom to tell
    /// what each answer accepted.
    /// `records`: the part of the store to send (all of it by default).
    func deliver(_ store: RecordStore, stream: String, chunk: ChunkToSend? = nil, records: Range<Int>? = nil) async -> Outcome {
        var delivery = PutRecordsDeliveryStateMachine(
            configuration: configuration, store: store, stream: stream, mayDefer: chunk?.mayDefer ?? false,
            priorAttempts: chunk?.retries ?? PendingRetries(), records: records)
        var body: [UInt8] = []
        if let pacers, configuration.kind != .firehose {
            await pacers.prepare(stream: stream) { await self.capacity(of: stream) }
        }
        var action = delivery.start()
        while true {
            switch action {
            case .send(let records):
                let bytes = pacers == nil ? 0 : records.reduce(0) { $0 + store.records[$1].size }
                let paced = pacers?.reserve(records.count, bytes: bytes, stream: stream)
                if let wait = paced?.wait, wait > 0 { try? await clock.sleep(for: .nanoseconds(Int64(wait * 1e9))) }
                PutRecordsRequest.writeBody(kind: configuration.kind, streamName: stream, records: records, store: store, into: &body)
                let response: PutRecordsResponse
                // While the destination answers, a failed request's records wait with the
                // deferred ones instead of holding this flush thread through in-place retries.
                let up = lastAnswer.isRecent
                do {
                    response = try await sendRetrying(body, stream: stream, retries: delivery.failureWouldWait(destinationUp: up) ? 0 : Self.requestRetries)
                    lastAnswer.noteAnswer()
                } catch {
                    pacers?.refund(records.count, bytes: bytes, stream: stream)
                    let before = delivery.failedRequests
                    action = delivery.requestFailed(error, destinationUp: up)
                    if delivery.failedRequests > before {
                        metrics.requestFailed(code: error.code ?? "\(error.kind)", stream: stream)
                        warn(
                            "request.\(error.code ?? "transport")", "Kinesis request failed; its records are retried after a backoff",
                            ["error": "\(error)"], stream: stream)
                    }
                    continue
                }
                let accepted = count(response.results, of: records, store: store, stream: stream, sentAt: paced?.sendsAt)
                if let report = chunk?.onAccepted, !accepted.isEmpty { report(accepted) }
                action = delivery.received(response.results, jitter: jitter)
            case .refreshCredentials:
                logger.info("Credentials expired; refreshing and retrying", metadata: ["kinesis.stream": "\(stream)"])
                await client.credentials.invalidate()
                action = delivery.credentialsRefreshed()
            case .wait(let wait, let retry):
                if configuration.monitorNumOfBatchRequestRetries { metrics.batchRetry(stream: stream) }
                let first = retry.failures[0]
                warn(
                    "records.\(first.code)", "Kinesis did not take some records; retrying them",
                    [
                        "failed": "\(retry.failures.count)", "error_code": "\(first.code)",
                        "error_message": "\(truncate(first.message))", "retry": "\(retry.attempt)",
                        "wait_seconds": "\(wait)",
                    ], stream: stream)
                do {
                    try await clock.sleep(for: wait)
                    action = delivery.waited()
                } catch {
                    action = delivery.waitInterrupted()
                }
            case .done(let outcome):
                report(outcome, stream: stream)
                return outcome
            }
        }
    }

    /// Sends one request, retrying it whole as the AWS SDK for Ruby under fluent-plugin-kinesis
    /// does (its legacy retry mode: `retry_limit` 3, waits of `2^n × 0.3` s): a 5xx or a
    /// throttled request is tried again up to `retries` times (`requestRetries` unless records
    /// may wait instead) before it counts as failed. A transport failure (nothing answered: the connection pool has already tried
    /// until `connect_timeout`) and an expired token (the delivery refreshes the credentials)
    /// are not retried here; a shutdown ends the waits.
    func sendRetrying(_ body: [UInt8], stream: String, retries limit: Int) async throws(KinesisError) -> PutRecordsResponse {
        var retries = 0
        while true {
            do {
                return try await client.send(body: body, stream: stream)
            } catch {
                guard retries < limit, case .service = error.kind, error.isRetryable, !error.isExpiredToken else {
                    throw error
                }
                metrics.requestFailed(code: error.code ?? "\(error.kind)", stream: stream)
                warn(
                    "request.\(error.code ?? "transport")", "Kinesis request failed; retrying it",
                    ["error": "\(error)", "retry": "\(retries + 1)"], stream: stream)
                do {
                    try await clock.sleep(for: .milliseconds(300 << retries))
                } catch {
                    throw KinesisError(.transport, message: "shutting down during a request retry", stream: stream, region: configuration.region)
                }
                retries += 1
            }
        }
    }

    /// The AWS SDK for Ruby's default `retry_limit`.
    static let requestRetries = 3

    /// With `adaptive_pacing`: the write capacity of `stream` from DescribeStreamSummary (its open
    /// shards), so pacing starts before the first throttled answer; nil for an on-demand stream,
    /// whose capacity follows its traffic, and when the call fails (the role may lack
    /// `kinesis:DescribeStreamSummary`): then the rate is learned from throttled answers alone.
    func capacity(of stream: String) async -> StreamCapacity? {
        let known = pacers?.capacity(of: stream)
        do {
            let summary = try await KinesisStreamReader(client: client).describe(stream: stream)
            guard summary.mode != "ON_DEMAND", summary.openShardCount > 0 else { return nil }
            let capacity = StreamCapacity(openShards: summary.openShardCount)
            if capacity != known {
                logger.info(
                    "adaptive_pacing: pacing to the stream's open shards",
                    metadata: [
                        "kinesis.stream": "\(stream)", "open_shards": "\(summary.openShardCount)",
                        "records_per_second": "\(Int(capacity.records))", "bytes_per_second": "\(Int(capacity.bytes))",
                    ])
            }
            return capacity
        } catch {
            if known == nil {
                logger.info(
                    "adaptive_pacing: the stream's shards could not be looked up; its rate is learned from throttled records",
                    metadata: ["kinesis.stream": "\(stream)", "error": "\(error)"])
            }
            return known
        }
    }

    /// Counts an answer's accepted records (their entries, when aggregated) and failed records
    /// by error code, and returns the accepted entries; an answer that does not match its
    /// request counts nothing.
    @discardableResult
    func count(
        _ results: [PutRecordsResponse.Result], of records: [Int], store: RecordStore, stream: String, sentAt: Double? = nil
    ) -> EntrySet {
        var accepted = EntrySet()
        guard results.count == records.count else { return accepted }
        var sent = 0
        var failed: [String: Int] = [:]
        var throttled = 0
        for (record, result) in zip(records, results) {
            if let code = result.errorCode {
                failed[code, default: 0] += 1
                if Self.throughputCodes.contains(code) { throttled += 1 }
            } else {
                let entries = store.entries(of: record)
                for entry in entries { accepted.insert(entry) }
                sent += configuration.kind == .streamsAggregated ? entries.count : 1
            }
        }
        if sent > 0 { metrics.recordsSent(sent, stream: stream) }
        for (code, count) in failed { metrics.recordsFailed(count, code: code, stream: stream) }
        pacers?.answered(sent: records.count, throttled: throttled, stream: stream, sentAt: sentAt)
        return accepted
    }

    /// Per-record error codes that mean "too much for the stream now" (Kinesis' per-shard limits,
    /// Firehose's per-stream ones).
    static let throughputCodes: Set<String> = ["ProvisionedThroughputExceededException", "ThrottlingException", "ServiceUnavailableException"]

    /// Counts and logs what the delivery gave up on: records dropped after their retries, and
    /// the request that ended it.
    func report(_ outcome: Outcome, stream: String) {
        if let deferred = outcome.deferred {
            if configuration.monitorNumOfBatchRequestRetries { metrics.batchRetry(stream: stream) }
            warn(
                "records.deferred", "Kinesis did not take some records; retrying them after a backoff",
                ["failed": "\(deferred.records)", "wait_seconds": "\(deferred.after)"], stream: stream)
        }
        for dropped in outcome.dropped {
            metrics.recordsDropped(dropped.entryCount, reason: "retries_exhausted", stream: stream)
            logger.error(
                "Records dropped after batch request retries (drop_failed_records_after_batch_request_retries)",
                metadata: [
                    "kinesis.stream": "\(stream)", "records": "\(dropped.entryCount)", "errors": "\(dropped.summary)",
                    "error_message": "\(truncate(dropped.failures[0].message))",
                ])
        }
        guard let error = outcome.failure?.request else { return }
        metrics.requestFailed(code: error.code ?? "\(error.kind)", stream: stream)
        if error.isRetryable {
            warn("request.\(error.code ?? "transport")", "Kinesis request failed; the buffer will retry", ["error": "\(error)"], stream: stream)
        } else {
            logger.error("Kinesis request rejected", metadata: ["kinesis.stream": "\(stream)", "error": "\(error)"])
        }
    }
}

/// When the destination last answered a request of an output (any flush thread's).
final class LastAnswer: Sendable {
    private let at = Atomic<Int64>(0)

    func noteAnswer() { at.store(MonotonicClock.nanoseconds(), ordering: .relaxed) }

    /// An answer came in the last 2 seconds.
    var isRecent: Bool {
        let last = at.load(ordering: .relaxed)
        return last > 0 && MonotonicClock.nanoseconds() - last < 2_000_000_000
    }
}
