import RunnelBuffer

/// How one chunk's formatted records reach Kinesis, as fluent-plugin-kinesis sends a chunk
/// (`batch_request_with_retry` and `Backoff` in lib/fluent/plugin/kinesis_helper/api.rb), as a
/// value that does no I/O and reads no clock.
///
/// Records go in order, in requests cut by `PutRecordsBatcher`. Records an answer reports as
/// failed are re-sent alone, after `KinesisRetryPolicy`'s backoff, up to
/// `retries_on_batch_request` times per request; then they are dropped
/// (`drop_failed_records_after_batch_request_retries`) or left to the buffer's retry, and with
/// `retain_ordering` their partition keys are held back for the rest of the chunk. An expired
/// token is refreshed and the request re-sent at once, once per chunk. A whole request that
/// fails ends the chunk's attempt.
///
/// The driver (`KinesisSender.deliver`) calls `start()`, carries out each `Action` and reports
/// what came of it with `received`, `requestFailed`, `waited`, `waitInterrupted` or
/// `credentialsRefreshed`, until `.done`.
struct PutRecordsDeliveryStateMachine {
    enum Action: Equatable {
        /// Send one request of these records (indices into the store), in this order.
        case send([Int])
        /// Invalidate the credentials, then call `credentialsRefreshed()`.
        case refreshCredentials
        /// Wait this long, then call `waited()` (`waitInterrupted()` when the wait was cancelled).
        case wait(Duration, Retry)
        /// Every record has its outcome; nothing more to do.
        case done(Outcome)
    }

    private enum State {
        /// Before `start()`.
        case idle
        /// A request of `current` is out.
        case sending
        /// Waiting before these failed records are re-sent.
        case waiting([RecordFailure])
        /// Credentials are being refreshed before `current` is re-sent.
        case refreshing
        case done
    }

    let store: RecordStore
    let batcher: PutRecordsBatcher
    /// `retries_on_batch_request`.
    let retries: Int
    /// `reset_backoff_if_success`.
    let resetBackoffIfSuccess: Bool
    /// `drop_failed_records_after_batch_request_retries`.
    let dropFailedRecords: Bool
    /// For the messages of failures.
    let stream: String
    let region: String

    private var state = State.idle
    /// Records not yet in a request, in chunk order.
    private var queue: [Int]
    /// With `retain_ordering`: keys of records left failed, whose later records must wait for the buffer's retry.
    private var blocked: Set<ArraySlice<UInt8>> = []
    private var tokenRefreshed = false
    /// The retries of the current request.
    private var policy: KinesisRetryPolicy
    /// The records of the request out now.
    private var current: [Int] = []
    private var outcome = Outcome()
    /// Hand failed records back instead of waiting (see the type's documentation).
    let deferRetries: Bool
    /// Failed attempts of chunk entries before this one (deferred retries).
    let priorAttempts: PendingRetries
    /// Deferred retries: the records waiting, with their failed attempts so far.
    private var waiting: [(record: Int, attempts: Int)] = []
    private var anyAccepted = false
    private var jitterDrawn: Double?
    /// Deferred retries: requests that failed whole and whose records wait.
    private(set) var failedRequests = 0

    init(
        store: RecordStore, batcher: PutRecordsBatcher, retries: Int, resetBackoffIfSuccess: Bool, dropFailedRecords: Bool,
        stream: String, region: String, deferRetries: Bool = false, priorAttempts: PendingRetries = PendingRetries(),
        records: Range<Int>? = nil
    ) {
        self.deferRetries = deferRetries
        self.priorAttempts = priorAttempts
        self.store = store
        self.batcher = batcher
        self.retries = retries
        self.resetBackoffIfSuccess = resetBackoffIfSuccess
        self.dropFailedRecords = dropFailedRecords
        self.stream = stream
        self.region = region
        queue = Array(records ?? 0..<store.count)
        policy = KinesisRetryPolicy(maxRetries: retries, resetBackoffIfSuccess: resetBackoffIfSuccess)
    }

    /// The delivery `configuration` asks for, of `store`'s records to `stream`.
    /// `mayDefer`: the buffer allows deferred retries for this chunk; they are used unless
    /// `retain_ordering` needs the chunk's records to wait in place.
    /// `records`: the part of the store this delivery sends (all of it by default).
    init(
        configuration: KinesisConfiguration, store: RecordStore, stream: String, mayDefer: Bool = false,
        priorAttempts: PendingRetries = PendingRetries(), records: Range<Int>? = nil
    ) {
        let batcher = PutRecordsBatcher(configuration: configuration)
        self.init(
            store: store, batcher: batcher, retries: configuration.retriesOnBatchRequest,
            resetBackoffIfSuccess: configuration.resetBackoffIfSuccess,
            dropFailedRecords: configuration.dropFailedRecordsAfterBatchRequestRetries, stream: stream, region: configuration.region,
            deferRetries: mayDefer && !batcher.retainOrdering, priorAttempts: priorAttempts, records: records)
    }

    /// The first request, or `.done` when there is nothing to send.
    mutating func start() -> Action {
        guard case .idle = state else { preconditionFailure("start() called twice") }
        return nextRequest()
    }

    /// The answer to the request out now, one result per record in order. `jitter` (uniform in
    /// [0, 1)) is drawn only when records failed and the backoff is computed.
    mutating func received(_ results: [PutRecordsResponse.Result], jitter: () -> Double) -> Action {
        guard case .sending = state else { preconditionFailure("received(_:) while no request is out") }
        guard results.count == current.count else {
            return finish(
                failedRequest: KinesisError(
                    .transport, message: "answer has \(results.count) results for \(current.count) records", stream: stream,
                    region: region))
        }
        var failures: [RecordFailure] = []
        var anyAccepted = false
        for (record, result) in zip(current, results) {
            if let code = result.errorCode {
                failures.append(RecordFailure(record: record, code: code, message: result.errorMessage ?? ""))
            } else {
                accept(record)
                anyAccepted = true
            }
        }
        self.anyAccepted = self.anyAccepted || anyAccepted
        if failures.isEmpty { return nextRequest() }
        if deferRetries {
            if jitterDrawn == nil { jitterDrawn = jitter() }
            var spent: [RecordFailure] = []
            for failure in failures {
                let before = store.entries(of: failure.record).reduce(0) { max($0, priorAttempts.attempts[$1] ?? 0) }
                if before >= retries { spent.append(failure) } else { waiting.append((failure.record, before + 1)) }
            }
            if !spent.isEmpty { return exhausted(spent) }
            return nextRequest()
        }
        switch policy.next(anyAccepted: anyAccepted, jitter: jitter()) {
        case .giveUp:
            return exhausted(failures)
        case .retry(let wait, let attempt):
            state = .waiting(failures)
            return .wait(wait, Retry(attempt: attempt, failures: failures))
        }
    }

    /// Whether a retryable failure of the request out now would leave its records waiting
    /// (deferred retries, and the destination is known to be up: it took records of this
    /// attempt, or `destinationUp`) rather than end the attempt.
    func failureWouldWait(destinationUp: Bool) -> Bool { deferRetries && (anyAccepted || destinationUp) }

    /// The request out now got no answer, or an error answer. `destinationUp`: the destination
    /// answered other requests just now (the sender's view across its flush threads).
    mutating func requestFailed(_ error: KinesisError, destinationUp: Bool = false) -> Action {
        guard case .sending = state else { preconditionFailure("requestFailed(_:) while no request is out") }
        if error.isExpiredToken && !tokenRefreshed {
            tokenRefreshed = true
            state = .refreshing
            return .refreshCredentials
        }
        if error.isRetryable, failureWouldWait(destinationUp: destinationUp) {
            // The destination takes records (of this attempt, or of others just now): a passing
            // failure (a 500 among successes). The request's records wait with the others, their
            // attempts unchanged; an attempt that gets nothing through while the destination
            // answers nothing ends as a failure, for the buffer's backoff.
            for record in current {
                let before = store.entries(of: record).reduce(0) { max($0, priorAttempts.attempts[$1] ?? 0) }
                waiting.append((record, before))
            }
            failedRequests += 1
            return nextRequest()
        }
        return finish(failedRequest: error)
    }

    /// Fresh credentials: the same request again, at once.
    mutating func credentialsRefreshed() -> Action {
        guard case .refreshing = state else { preconditionFailure("credentialsRefreshed() without .refreshCredentials") }
        state = .sending
        return .send(current)
    }

    /// The backoff is over: the failed records go again, alone.
    mutating func waited() -> Action {
        guard case .waiting(let failures) = state else { preconditionFailure("waited() without .wait") }
        current = failures.map(\.record)
        state = .sending
        return .send(current)
    }

    /// The wait was cancelled (shutdown): the failed records are treated as out of retries.
    mutating func waitInterrupted() -> Action {
        guard case .waiting(let failures) = state else { preconditionFailure("waitInterrupted() without .wait") }
        return exhausted(failures)
    }

    // MARK: Transitions

    private mutating func nextRequest() -> Action {
        let batch = queue.isEmpty ? [] : batcher.nextBatch(from: &queue, store: store, blocked: blocked)
        // Empty: every record was sent, or every one left has a blocked key.
        guard !batch.isEmpty else { return finish() }
        policy = KinesisRetryPolicy(maxRetries: retries, resetBackoffIfSuccess: resetBackoffIfSuccess)
        current = batch
        state = .sending
        return .send(batch)
    }

    /// The request's retries are spent and `failures` still failed.
    private mutating func exhausted(_ failures: [RecordFailure]) -> Action {
        let records = FailedRecords(failures: failures, entryCount: failures.reduce(0) { $0 + store.entries(of: $1.record).count })
        if dropFailedRecords {
            outcome.dropped.append(records)
            for failure in failures { accept(failure.record) }
        } else {
            outcome.failure = Failure(
                error: DeliveryError(
                    "\(failures.count) records for stream '\(stream)' still failing after \(retries) batch retries (\(records.summary)); left to the buffer's retry",
                    code: failures[0].code),
                permanent: false)
            if batcher.retainOrdering { for failure in failures { blocked.insert(store.key(of: failure.record)) } }
        }
        return nextRequest()
    }

    private mutating func accept(_ record: Int) {
        for entry in store.entries(of: record) { outcome.accepted.insert(entry) }
    }

    private mutating func finish(failedRequest error: KinesisError) -> Action {
        outcome.failure = Failure(error: error.deliveryError, permanent: !error.isRetryable, request: error)
        return finish()
    }

    private mutating func finish() -> Action {
        state = .done
        if !waiting.isEmpty {
            let count = resetBackoffIfSuccess && anyAccepted ? 0 : priorAttempts.backoffCount
            var attempts: [Int: Int] = [:]
            for (record, tried) in waiting {
                for entry in store.entries(of: record) { attempts[entry] = tried }
            }
            outcome.deferred = Deferred(
                retries: PendingRetries(attempts: attempts, backoffCount: count + 1),
                after: KinesisRetryPolicy.backoff(count: count, jitter: jitterDrawn ?? 0.5), records: waiting.count)
        }
        return .done(outcome)
    }
}
