/// An output's running totals in the sense of Fluentd's output metrics (lib/fluent/plugin/output.rb,
/// `statistics`), which monitor_agent and fluent-plugin-prometheus' prometheus_output_monitor report.
public struct OutputCounters: Sendable, Equatable {
    /// `emit_count`: calls of `emit` (one per event stream), whether or not they succeeded.
    public var emitCount = 0
    /// `write_count`: attempts to send a chunk.
    public var writeCount = 0
    /// `rollback_count`: attempts that failed, so the chunk went back to the queue.
    public var rollbackCount = 0
    /// `flush_time_count`: milliseconds spent sending, summed over every attempt.
    public var flushTimeMilliseconds = 0
    /// `slow_flush_count`: attempts that took longer than `slow_flush_log_threshold`.
    public var slowFlushCount = 0

    public init() {}
}

/// The retry in progress, as monitor_agent's `retry` (`include_retry`): when the failures began,
/// how many there were, and when the next attempt is due (seconds since the epoch). Fluentd keeps
/// one retry per output; Runnel keeps one per chunk and reports the longest-running one.
public struct RetryStatus: Sendable, Equatable {
    public var start: Double
    public var steps: Int
    public var nextTime: Double

    public init(start: Double, steps: Int, nextTime: Double) {
        self.start = start
        self.steps = steps
        self.nextTime = nextTime
    }
}
