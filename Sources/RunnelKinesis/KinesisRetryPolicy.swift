/// The per-request retry of records a PutRecords / PutRecordBatch answer reports as failed,
/// as fluent-plugin-kinesis does it (`batch_request_with_retry`, `Backoff`): failed records are
/// re-sent alone up to `retries_on_batch_request` times; before retry n the wait is
/// `2^n × (0.3 + (0.5 − r) × 0.1)` seconds with r uniform in [0, 1), so 0.25–0.35 s scaled;
/// with `reset_backoff_if_success`, n restarts at 0 whenever the previous attempt got any
/// record through.
///
/// A value: `next(anyAccepted:jitter:)` says what to do after each answer that had failures.
public struct KinesisRetryPolicy: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Wait, then re-send the failed records; `attempt` counts retries from 1.
        case retry(after: Duration, attempt: Int)
        /// No retries left: the failed records stay failed.
        case giveUp
    }

    public let maxRetries: Int
    public let resetBackoffIfSuccess: Bool
    /// Retries done so far.
    public private(set) var retries = 0
    /// The backoff exponent of the next wait.
    public private(set) var backoffCount = 0

    public init(maxRetries: Int, resetBackoffIfSuccess: Bool) {
        self.maxRetries = maxRetries
        self.resetBackoffIfSuccess = resetBackoffIfSuccess
    }

    /// After an answer with failed records. `anyAccepted`: the answer accepted at least one
    /// record. `jitter` is uniform in [0, 1) (Ruby's `rand`), injected for tests.
    public mutating func next(anyAccepted: Bool, jitter: Double) -> Action {
        guard retries < maxRetries else { return .giveUp }
        if resetBackoffIfSuccess && anyAccepted { backoffCount = 0 }
        let wait = KinesisRetryPolicy.backoff(count: backoffCount, jitter: jitter)
        backoffCount += 1
        retries += 1
        return .retry(after: wait, attempt: retries)
    }

    /// `2^count × (0.3 + (0.5 − jitter) × 0.1)` seconds.
    public static func backoff(count: Int, jitter: Double) -> Duration {
        let scaling = 0.3 + (0.5 - jitter) * 0.1
        let seconds = Double(1 << min(count, 30)) * scaling
        return .nanoseconds(Int64((seconds * 1_000_000_000).rounded()))
    }
}
