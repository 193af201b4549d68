import Metrics
import Synchronization

/// What the Kinesis outputs count, per stream (swift-metrics; exported by the app's Prometheus
/// registry). Failed records are counted per AWS error code so throttling is visible.
struct KinesisMetrics: Sendable {
    let output: String

    func recordsSent(_ count: Int, stream: String) {
        Counter(label: "runnel_kinesis_records_sent_total", dimensions: [("output", output), ("stream", stream)])
            .increment(by: count)
    }

    func recordsFailed(_ count: Int, code: String, stream: String) {
        Counter(
            label: "runnel_kinesis_failed_records_total",
            dimensions: [("output", output), ("stream", stream), ("code", code)]
        ).increment(by: count)
    }

    func recordsDropped(_ count: Int, reason: String, stream: String) {
        Counter(
            label: "runnel_kinesis_dropped_records_total",
            dimensions: [("output", output), ("stream", stream), ("reason", reason)]
        ).increment(by: count)
    }

    func randomPartitionKey(reason: String, stream: String) {
        Counter(
            label: "runnel_kinesis_random_partition_keys_total",
            dimensions: [("output", output), ("stream", stream), ("reason", reason)]
        ).increment()
    }

    func batchRetry(stream: String) {
        Counter(label: "runnel_kinesis_batch_request_retries_total", dimensions: [("output", output), ("stream", stream)])
            .increment()
    }

    func requestFailed(code: String, stream: String) {
        Counter(
            label: "runnel_kinesis_failed_requests_total",
            dimensions: [("output", output), ("stream", stream), ("code", code)]
        ).increment()
    }
}

/// Lets a repeated warning through at most once per `interval` per key, counting the rest.
final class WarningLimiter: Sendable {
    let interval: Duration
    private let state = Mutex<[String: (last: ContinuousClock.Instant, suppressed: Int)]>([:])

    init(interval: Duration = .seconds(60)) { self.interval = interval }

    /// Whether to log now, and how many were suppressed since the last one logged.
    func admit(_ key: String, now: ContinuousClock.Instant = .now) -> (log: Bool, suppressed: Int) {
        state.withLock { entries in
            if let entry = entries[key], now - entry.last < interval {
                entries[key] = (entry.last, entry.suppressed + 1)
                return (false, 0)
            }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = (now, 0)
            return (true, suppressed)
        }
    }
}
