import RunnelCore
import RunnelPipeline

/// The buffer's figures in the field names of Fluentd's monitor_agent (its `MONITOR_INFO` and the
/// output's `statistics`, lib/fluent/plugin/in_monitor_agent.rb and output.rb), which
/// fluent-plugin-prometheus' monitors read.
extension BufferedOutput: PluginStatusReporting {
    public func monitorStatus() -> [(key: String, value: MessagePackValue)] {
        let status = self.status
        var pairs: [(key: String, value: MessagePackValue)] = [
            ("buffer_queue_length", .uint(UInt64(status.queueLength))),
            ("buffer_timekeys", .array(status.timekeys.map { .int(Int64($0)) })),
            ("buffer_stage_length", .uint(UInt64(status.stageLength))),
            ("buffer_total_queued_size", .uint(UInt64(status.totalBytes))),
            ("buffer_stage_byte_size", .uint(UInt64(status.stageBytes))),
            ("buffer_queue_byte_size", .uint(UInt64(status.queueBytes))),
            ("buffer_available_buffer_space_ratios", .double((status.availableSpaceRatio * 10).rounded() / 10)),
            ("retry_count", .uint(UInt64(status.retryCount))),
            ("emit_records", .uint(UInt64(status.emitRecords))),
            ("emit_count", .uint(UInt64(status.counters.emitCount))),
            ("write_count", .uint(UInt64(status.counters.writeCount))),
            ("rollback_count", .uint(UInt64(status.counters.rollbackCount))),
            ("slow_flush_count", .uint(UInt64(status.counters.slowFlushCount))),
            ("flush_time_count", .uint(UInt64(status.counters.flushTimeMilliseconds))),
            ("dropped_records", .uint(UInt64(status.droppedRecords))),
        ]
        if let oldest = status.timekeys.first, let newest = status.timekeys.last {
            pairs.append(("buffer_oldest_timekey", .int(Int64(oldest))))
            pairs.append(("buffer_newest_timekey", .int(Int64(newest))))
        }
        // monitor_agent's `retry` (with include_retry): empty while nothing is being retried.
        var retry: [MessagePackPair] = []
        if let status = status.retry {
            retry = [
                .init(key: "start", value: .double(status.start)),
                .init(key: "steps", value: .uint(UInt64(status.steps))),
                .init(key: "next_time", value: .double(status.nextTime)),
            ]
        }
        pairs.append(("retry", .map(retry)))
        return pairs
    }
}

extension BufferedOutput: ReadinessReporting {
    /// Stalled: chunks have waited longer than `stallTimeout` while every attempt delivered
    /// nothing. Any attempt that gets records through makes the output ready again.
    public func notReadyReason(stallTimeout: Double) -> String? {
        let status = self.status
        guard let stalled = status.stalledSeconds, stalled > stallTimeout else { return nil }
        return "nothing delivered for \(Int(stalled)) s while \(status.queueLength) chunks wait (\(status.queueBytes) bytes)"
    }
}

extension BufferedOutputPlugin: ReadinessReporting {
    public func notReadyReason(stallTimeout: Double) -> String? { buffered.notReadyReason(stallTimeout: stallTimeout) }
}
