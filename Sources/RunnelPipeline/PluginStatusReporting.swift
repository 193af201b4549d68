import RunnelCore

/// A plugin that reports its state to the monitoring endpoint (`/api/plugins.json`), in the
/// field names of Fluentd's monitor_agent: `buffer_queue_length`, `buffer_total_queued_size`,
/// `retry_count`, `emit_records`, ...
public protocol PluginStatusReporting: Sendable {
    func monitorStatus() -> [(key: String, value: MessagePackValue)]
}
