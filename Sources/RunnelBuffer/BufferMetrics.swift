import Metrics

/// The buffer's metrics (swift-metrics), labelled `plugin_id` and `type` like Fluentd's
/// Prometheus plugin labels its output metrics.
struct BufferMetrics: Sendable {
    let totalBytes: Gauge
    let stagedChunks: Gauge
    let queuedChunks: Gauge
    let oldestChunkAge: Gauge
    let retries: Counter
    let droppedRecords: Counter
    let droppedChunks: Counter
    let emitRecords: Counter
    let flushedRecords: Counter
    let flushLatency: Timer
    let overflows: Counter

    init(pluginID: String, type: String) {
        let dimensions = [("plugin_id", pluginID), ("type", type)]
        totalBytes = Gauge(label: "runnel_buffer_total_bytes", dimensions: dimensions)
        stagedChunks = Gauge(label: "runnel_buffer_stage_length", dimensions: dimensions)
        queuedChunks = Gauge(label: "runnel_buffer_queue_length", dimensions: dimensions)
        oldestChunkAge = Gauge(label: "runnel_buffer_oldest_chunk_age_seconds", dimensions: dimensions)
        retries = Counter(label: "runnel_buffer_retry_count", dimensions: dimensions)
        droppedRecords = Counter(label: "runnel_buffer_dropped_records_total", dimensions: dimensions)
        droppedChunks = Counter(label: "runnel_buffer_dropped_chunks_total", dimensions: dimensions)
        emitRecords = Counter(label: "runnel_buffer_emit_records_total", dimensions: dimensions)
        flushedRecords = Counter(label: "runnel_buffer_flushed_records_total", dimensions: dimensions)
        flushLatency = Timer(label: "runnel_buffer_flush_duration", dimensions: dimensions)
        overflows = Counter(label: "runnel_buffer_overflows_total", dimensions: dimensions)
    }

    func update(_ status: BufferStatus) {
        totalBytes.record(status.totalBytes)
        stagedChunks.record(status.stageLength)
        queuedChunks.record(status.queueLength)
        oldestChunkAge.record(status.oldestChunkAge ?? 0)
    }
}

/// A snapshot of a buffer for monitor_agent's `/api/plugins.json` (Fluentd's field names in comments).
public struct BufferStatus: Sendable, Equatable {
    /// `buffer_queue_length`: queued and in-flight chunks.
    public var queueLength: Int
    /// `buffer_stage_length`.
    public var stageLength: Int
    /// `buffer_total_queued_size`: bytes in every chunk.
    public var totalBytes: Int
    /// `buffer_stage_byte_size`.
    public var stageBytes: Int
    /// `buffer_queue_byte_size`.
    public var queueBytes: Int
    /// `buffer_available_buffer_space_ratios` (percent).
    public var availableSpaceRatio: Double
    /// `retry_count`: failed flushes so far.
    public var retryCount: Int
    /// `emit_records`.
    public var emitRecords: Int
    /// Records dropped (retries exhausted, drop_oldest_chunk).
    public var droppedRecords: Int
    /// Seconds since the oldest chunk was created.
    public var oldestChunkAge: Double?
    /// Chunks waiting for a retry, and the earliest retry (clock seconds).
    public var retryingChunks: Int
    /// `emit_count`, `write_count`, `rollback_count`, `flush_time_count`, `slow_flush_count`.
    public var counters = OutputCounters()
    /// `buffer_timekeys`: the distinct time keys of the chunks (time-keyed buffers only), ascending.
    public var timekeys: [Int] = []
    /// monitor_agent's `retry`, while a chunk is waiting for a retry.
    public var retry: RetryStatus?
    /// Seconds that chunks have been waiting while every attempt delivered nothing; nil when
    /// nothing waits or the last attempt delivered something.
    public var stalledSeconds: Double?
}
