import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import Testing

@testable import RunnelMonitor

struct PrometheusMonitorConfigurationTests {
    func source(_ text: String) throws -> ConfigElement {
        try ConfigParser.parse(text: text, file: "test.conf").elements(named: "source")[0]
    }

    @Test func defaults() throws {
        // fluent-plugin-prometheus lib/fluent/plugin/in_prometheus_monitor.rb,
        // in_prometheus_output_monitor.rb, in_prometheus_tail_monitor.rb: interval 5; the output
        // monitor's gauge_all true.
        for kind in [PrometheusMonitorConfiguration.Kind.status, .output, .tail] {
            let configuration = try PrometheusMonitorConfiguration(try source("<source>\n  @type \(kind.rawValue)\n</source>\n"), kind: kind)
            #expect(configuration == PrometheusMonitorConfiguration(kind: kind))
            #expect(configuration.interval == 5)
            #expect(configuration.gaugeAll)
        }
    }

    @Test func labelsExpandHostnameAndWorkerID() throws {
        let element = try source(
            "<source>\n  @type prometheus_monitor\n  interval 10s\n  <labels>\n    host ${hostname}\n    worker ${worker_id}\n    env prod\n  </labels>\n</source>\n"
        )
        let configuration = try PrometheusMonitorConfiguration(element, kind: .status, hostname: "node-1")
        #expect(configuration.interval == 10)
        #expect(configuration.baseLabels.elementsEqual([("host", "node-1"), ("worker", "0"), ("env", "prod")]) { $0 == $1 })
    }

    @Test func recordAccessorLabelsAreRejected() throws {
        let element = try source("<source>\n  @type prometheus_output_monitor\n  <labels>\n    tag $.tag\n  </labels>\n</source>\n")
        let error = try #require(throws: ConfigError.self) { try PrometheusMonitorConfiguration(element, kind: .output) }
        #expect(error.description.contains("test.conf:4"))
        #expect(error.description.contains("record accessor syntax is not available in prometheus_output_monitor"))
    }

    static let output = MonitoredPlugin(
        id: "out", category: "output", type: "kinesis_streams",
        status: [
            ("buffer_queue_length", .uint(2)), ("buffer_total_queued_size", .uint(300)), ("retry_count", .uint(4)),
            ("emit_count", .uint(7)), ("emit_records", .uint(70)), ("write_count", .uint(5)), ("rollback_count", .uint(4)),
            ("buffer_timekeys", .array([.int(1_700_000_000), .int(1_700_003_600)])),
            ("retry", .map([.init(key: "start", value: .double(100)), .init(key: "steps", value: .uint(3)), .init(key: "next_time", value: .double(112.5))])),
        ])

    @Test func gaugeAllFalseMakesTheCountsCounters() {
        var configuration = PrometheusMonitorConfiguration(kind: .output)
        configuration.gaugeAll = false
        let samples = PrometheusMonitorCollector.samples(configuration, plugins: [Self.output])
        let kinds = Dictionary(samples.map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["fluentd_output_status_retry_count"] == .counter)
        #expect(kinds["fluentd_output_status_num_errors"] == .counter)
        #expect(kinds["fluentd_output_status_emit_records"] == .counter)
        // rollback_count and the buffer figures stay gauges, as in the plugin.
        #expect(kinds["fluentd_output_status_rollback_count"] == .gauge)
        #expect(kinds["fluentd_output_status_buffer_queue_length"] == .gauge)
        #expect(samples.first { $0.name == "fluentd_output_status_retry_wait" }?.value == 12.5)
    }

    @Test func statusMonitorReportsTimekeysAndSkipsPluginsWithoutFigures() {
        var configuration = PrometheusMonitorConfiguration(kind: .status)
        configuration.baseLabels = [("type", "overridden"), ("region", "eu")]
        let input = MonitoredPlugin(id: "in", category: "input", type: "forward", status: [])
        let samples = PrometheusMonitorCollector.samples(configuration, plugins: [input, Self.output])
        #expect(
            samples.map(\.name) == [
                "fluentd_status_buffer_queue_length", "fluentd_status_buffer_total_bytes", "fluentd_status_retry_count",
                "fluentd_status_buffer_newest_timekey", "fluentd_status_buffer_oldest_timekey",
            ])
        // A base label named like one of the monitor's own is overridden by it (Hash#merge).
        #expect(
            samples[0].labels.elementsEqual([("region", "eu"), ("plugin_id", "out"), ("plugin_category", "output"), ("type", "kinesis_streams")]) { $0 == $1 })
        #expect(samples[3].value == 1_700_003_600)
        #expect(samples[4].value == 1_700_000_000)
    }

    @Test func familiesRenderTheTextFormatAndKeepTheFirstDeclaredType() {
        let families = FluentdMetricFamilies()
        families.declare("fluentd_x", kind: .counter, help: "An x.")
        #expect(families.declare("fluentd_x", kind: .gauge, help: "Other.") == .counter)
        families.set("fluentd_x", labels: [("path", "/var/log/\"a\"\\b")], to: 3)
        families.set("fluentd_x", labels: [("path", "/var/log/\"a\"\\b")], to: 2)  // a counter never goes down
        families.declare("fluentd_empty", kind: .gauge, help: "Nothing set.")
        #expect(
            String(decoding: families.render(), as: UTF8.self) == """
                # HELP fluentd_x An x.
                # TYPE fluentd_x counter
                fluentd_x{path="/var/log/\\"a\\"\\\\b"} 3

                """)
    }
}
