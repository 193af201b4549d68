import Metrics

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
