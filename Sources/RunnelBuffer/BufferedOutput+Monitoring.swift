import RunnelCore
import RunnelPipeline

/// The buffer's figures in the field names of Fluentd's monitor_agent.
extension BufferedOutput: PluginStatusReporting {
    public func monitorStatus() -> [(key: String, value: MessagePackValue)] {
        let status = self.status
        return [
            ("buffer_queue_length", .uint(UInt64(status.queueLength))),
            ("buffer_stage_length", .uint(UInt64(status.stageLength))),
            ("buffer_total_queued_size", .uint(UInt64(status.totalBytes))),
            ("buffer_stage_byte_size", .uint(UInt64(status.stageBytes))),
            ("buffer_queue_byte_size", .uint(UInt64(status.queueBytes))),
            ("buffer_available_buffer_space_ratios", .double(status.availableSpaceRatio)),
            ("retry_count", .uint(UInt64(status.retryCount))),
            ("emit_records", .uint(UInt64(status.emitRecords))),
            ("dropped_records", .uint(UInt64(status.droppedRecords))),
        ]
    }
}
