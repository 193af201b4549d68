import RunnelCore
import RunnelPipeline

/// What one plugin reports, as fluent-plugin-prometheus' monitors read it from monitor_agent.
struct MonitoredPlugin: Sendable {
    var id: String
    /// `input`, `filter` or `output`.
    var category: String
    var type: String
    /// monitor_agent's fields (`PluginStatusReporting`); empty for a plugin that reports none.
    var status: [(key: String, value: MessagePackValue)]
    /// For a tail input: the watched files from its pos_file.
    var tailFiles: [TailedFile] = []
    /// For a tail input: its file counters (opened, closed, rotated, throttled), in_tail's metrics.
    var tailCounters: TailedFileCounts?

    func number(_ key: String) -> Double? {
        guard let value = status.last(where: { $0.key == key })?.value else { return nil }
        return MonitoredPlugin.number(value)
    }

    func field(_ key: String) -> MessagePackValue? { status.last { $0.key == key }?.value }

    static func number(_ value: MessagePackValue) -> Double? {
        switch value {
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .double(let v): return v
        case .float(let v): return Double(v)
        default: return nil
        }
    }
}

/// One sample to set.
struct MonitorSample: Equatable {
    var name: String
    var kind: FluentdMetricFamilies.Kind
    var help: String
    var labels: [(String, String)]
    var value: Double

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.value == rhs.value && lhs.labels.elementsEqual(rhs.labels) { $0 == $1 }
    }
}

/// The metrics, names, help texts, types and labels of fluent-plugin-prometheus v2
/// (lib/fluent/plugin/in_prometheus_monitor.rb, in_prometheus_output_monitor.rb,
/// in_prometheus_tail_monitor.rb), computed from the plugins' monitor_agent figures.
enum PrometheusMonitorCollector {
    static func samples(_ configuration: PrometheusMonitorConfiguration, plugins: [MonitoredPlugin]) -> [MonitorSample] {
        switch configuration.kind {
        case .status: return statusSamples(configuration, plugins)
        case .output: return outputSamples(configuration, plugins)
        case .tail: return tailSamples(configuration, plugins)
        }
    }

    /// Base labels, then the monitor's own (which win over a base label of the same name, as Hash#merge).
    static func labels(_ base: [(String, String)], _ own: [(String, String)]) -> [(String, String)] {
        let ownNames = Set(own.map(\.0))
        return base.filter { !ownNames.contains($0.0) } + own
    }

    // MARK: prometheus_monitor

    static let statusMetrics: [(field: String, name: String, help: String)] = [
        ("buffer_queue_length", "fluentd_status_buffer_queue_length", "Current buffer queue length."),
        ("buffer_total_queued_size", "fluentd_status_buffer_total_bytes", "Current total size of queued buffers."),
        ("retry_count", "fluentd_status_retry_count", "Current retry counts."),
    ]

    static func statusSamples(_ configuration: PrometheusMonitorConfiguration, _ plugins: [MonitoredPlugin]) -> [MonitorSample] {
        var samples: [MonitorSample] = []
        for plugin in plugins {
            let labels = labels(configuration.baseLabels, [("plugin_id", plugin.id), ("plugin_category", plugin.category), ("type", plugin.type)])
            for metric in statusMetrics {
                guard let value = plugin.number(metric.field) else { continue }
                samples.append(.init(name: metric.name, kind: .gauge, help: metric.help, labels: labels, value: value))
            }
            if case .array(let keys)? = plugin.field("buffer_timekeys") {
                let timekeys = keys.compactMap(MonitoredPlugin.number)
                if let newest = timekeys.max(), let oldest = timekeys.min() {
                    samples.append(
                        .init(name: "fluentd_status_buffer_newest_timekey", kind: .gauge, help: "Newest timekey in buffer.", labels: labels, value: newest))
                    samples.append(
                        .init(name: "fluentd_status_buffer_oldest_timekey", kind: .gauge, help: "Oldest timekey in buffer.", labels: labels, value: oldest))
                }
            }
        }
        return samples
    }

    // MARK: prometheus_output_monitor

    /// monitor_agent field, metric name, help, and whether `gauge_all false` makes it a counter.
    static let outputMetrics: [(field: String, name: String, help: String, countable: Bool)] = [
        ("buffer_total_queued_size", "fluentd_output_status_buffer_total_bytes", "Current total size of stage and queue buffers.", false),
        ("buffer_stage_length", "fluentd_output_status_buffer_stage_length", "Current length of stage buffers.", false),
        ("buffer_stage_byte_size", "fluentd_output_status_buffer_stage_byte_size", "Current total size of stage buffers.", false),
        ("buffer_queue_length", "fluentd_output_status_buffer_queue_length", "Current length of queue buffers.", false),
        ("buffer_queue_byte_size", "fluentd_output_status_buffer_queue_byte_size", "Current total size of queue buffers.", false),
        ("buffer_available_buffer_space_ratios", "fluentd_output_status_buffer_available_space_ratio", "Ratio of available space in buffer.", false),
        ("buffer_newest_timekey", "fluentd_output_status_buffer_newest_timekey", "Newest timekey in buffer.", false),
        ("buffer_oldest_timekey", "fluentd_output_status_buffer_oldest_timekey", "Oldest timekey in buffer.", false),
        // retry_count feeds both, as the plugin's monitor_info does ('retry_count' => [retry_counts, num_errors]).
        ("retry_count", "fluentd_output_status_retry_count", "Current retry counts.", true),
        ("retry_count", "fluentd_output_status_num_errors", "Current number of errors.", true),
        ("write_count", "fluentd_output_status_write_count", "Current write counts.", true),
        ("emit_count", "fluentd_output_status_emit_count", "Current emit counts.", true),
        ("emit_records", "fluentd_output_status_emit_records", "Current emit records.", true),
        ("rollback_count", "fluentd_output_status_rollback_count", "Current rollback counts.", false),
        ("flush_time_count", "fluentd_output_status_flush_time_count", "Total flush time.", true),
        ("slow_flush_count", "fluentd_output_status_slow_flush_count", "Current slow flush counts.", true),
    ]

    static func outputSamples(_ configuration: PrometheusMonitorConfiguration, _ plugins: [MonitoredPlugin]) -> [MonitorSample] {
        var samples: [MonitorSample] = []
        for plugin in plugins where plugin.category == "output" {
            let labels = labels(configuration.baseLabels, [("plugin_id", plugin.id), ("type", plugin.type)])
            for metric in outputMetrics {
                guard let value = plugin.number(metric.field) else { continue }
                let kind: FluentdMetricFamilies.Kind = metric.countable && !configuration.gaugeAll ? .counter : .gauge
                samples.append(.init(name: metric.name, kind: kind, help: metric.help, labels: labels, value: value))
            }
            // retry_wait: next_time - start of the retry in progress, 0 without one.
            if case .map(let retry)? = plugin.field("retry") {
                let start = retry.first { $0.key == "start" }.flatMap { MonitoredPlugin.number($0.value) }
                let next = retry.first { $0.key == "next_time" }.flatMap { MonitoredPlugin.number($0.value) }
                let wait = start.flatMap { start in next.map { $0 - start } } ?? 0
                samples.append(.init(name: "fluentd_output_status_retry_wait", kind: .gauge, help: "Current retry wait", labels: labels, value: wait))
            }
        }
        return samples
    }

    // MARK: prometheus_tail_monitor

    static func tailSamples(_ configuration: PrometheusMonitorConfiguration, _ plugins: [MonitoredPlugin]) -> [MonitorSample] {
        var samples: [MonitorSample] = []
        for plugin in plugins where plugin.type == "tail" {
            for file in plugin.tailFiles {
                let labels = labels(configuration.baseLabels, [("plugin_id", plugin.id), ("type", plugin.type), ("path", file.path)])
                samples.append(
                    .init(name: "fluentd_tail_file_position", kind: .gauge, help: "Current position of file.", labels: labels, value: Double(file.position)))
                samples.append(.init(name: "fluentd_tail_file_inode", kind: .gauge, help: "Current inode of file.", labels: labels, value: Double(file.inode)))
                // in_prometheus_tail_monitor.rb sets the input's counters under each file's labels.
                if let counters = plugin.tailCounters {
                    for (name, help, value) in [
                        ("fluentd_tail_file_closed", "Number of files closed.", counters.closed),
                        ("fluentd_tail_file_opened", "Number of files opened.", counters.opened),
                        ("fluentd_tail_file_rotated", "Number of files rotated.", counters.rotated),
                        ("fluentd_tail_file_throttled", "Number of times files got throttled.", counters.throttled),
                    ] {
                        samples.append(.init(name: name, kind: .gauge, help: help, labels: labels, value: Double(value)))
                    }
                }
            }
        }
        return samples
    }
}
