import Logging
import Prometheus
import RunnelConfig
import RunnelCore
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type monitor_agent` (Fluentd's in_monitor_agent) and `<source> @type prometheus`
/// (fluent-plugin-prometheus): the monitoring HTTP endpoint.
///
/// Paths: `/api/plugins.json` and `/api/plugins` (monitor_agent's shapes), `/metrics`
/// (Prometheus text format: every `runnel_*` metric, then the `fluentd_*` metrics of the
/// prometheus_*monitor inputs), `/healthz`.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `bind` | string | `0.0.0.0` | address to listen on (fluent-plugin-prometheus v2.2's default; in_monitor_agent's too) |
/// | `port` | integer | 24220 (monitor_agent), 24231 (prometheus) | |
/// | `include_config` | bool | false | monitor_agent: each plugin's parameters in `/api/plugins.json` (Fluentd v1.19.3 turned it off by default; true before) |
/// | `include_retry` | bool | false | monitor_agent: each output's `retry` (start, steps, next_time) |
/// | `metrics_path` | string | `/metrics` | prometheus: where the metrics are served |
/// | `aggregated_metrics_path` | string | `/aggregated_metrics` | prometheus: the same metrics (Runnel runs one worker, so there is nothing to aggregate) |
/// | `content_encoding` | enum | `identity` | prometheus: only `identity` |
/// | `ignore_error_log_interval` | time | 3600 | prometheus: accepted; Runnel's endpoint logs no per-request errors |
///
/// `tag` and `emit_interval` (monitor_agent emitting its figures as events) are not supported
/// and reported as unused.
final class MonitorAgentInput: InputPlugin {
    let server: MonitorServer
    private let bound = Mutex<Int?>(nil)

    /// The port the endpoint listens on, once it does (the configured one, or the one chosen for port 0).
    var boundPort: Int? { bound.withLock { $0 } }

    init(_ context: PluginContext, directory: PipelineDirectory, registry: PrometheusCollectorRegistry, defaultPort: Int,
         fluentd: FluentdMetricFamilies = FluentdMetricFamilies()) throws {
        let element = context.element
        let isPrometheus = element.pluginType == "prometheus"
        var includeConfig = false
        var includeRetry = false
        var metricsPath = "/metrics"
        var aggregatedPath = "/metrics"
        if isPrometheus {
            // fluent-plugin-prometheus lib/fluent/plugin/in_prometheus.rb.
            metricsPath = element.string("metrics_path", default: "/metrics")
            aggregatedPath = element.string("aggregated_metrics_path", default: "/aggregated_metrics")
            let encoding = element.string("content_encoding", default: "identity")
            guard encoding == "identity" else {
                throw element.invalid("content_encoding", encoding, expected: "identity (Runnel does not compress the metrics)")
            }
            _ = try element.time("ignore_error_log_interval", default: 3600)
        } else {
            includeConfig = try element.bool("include_config", default: false)
            includeRetry = try element.bool("include_retry", default: false)
        }
        let metrics: @Sendable () -> [UInt8] = { registry.emitToBuffer() + fluentd.render() }
        let (withConfig, withRetry, paths) = (includeConfig, includeRetry, (metricsPath, aggregatedPath))
        server = MonitorServer(
            host: element.string("bind", default: "0.0.0.0"),
            port: try element.integer("port", default: defaultPort),
            logger: context.logger,
            route: { path in
                switch path {
                case "/api/plugins.json":
                    return .init(status: .ok, contentType: "application/json", body: directory.pluginsJSON(includeConfig: withConfig, includeRetry: withRetry))
                case "/api/plugins":
                    return .init(status: .ok, contentType: "text/plain", body: directory.pluginsText())
                case paths.0, paths.1, "/metrics":
                    return .init(status: .ok, contentType: "text/plain; version=0.0.4", body: metrics())
                case "/healthz":
                    return .init(status: .ok, contentType: "text/plain", body: Array("ok\n".utf8))
                default:
                    return .init(status: .notFound, contentType: "text/plain", body: Array("not found\n".utf8))
                }
            })
    }

    func run() async throws {
        try await server.run(onBound: { port in self.bound.withLock { $0 = port } })
    }
}

/// The running pipeline's plugins, for the monitoring endpoint; set once the pipeline is built.
final class PipelineDirectory: Sendable {
    private let pipeline = Mutex<Pipeline?>(nil)

    func publish(_ pipeline: Pipeline) {
        self.pipeline.withLock { $0 = pipeline }
    }

    var current: Pipeline? { pipeline.withLock { $0 } }

    /// Parameter names whose values never leave the process.
    static let secretKeys: Set<String> = [
        "aws_key_id", "aws_sec_key", "aws_ses_token", "shared_key", "password", "private_key_passphrase",
    ]

    func pluginsJSON(includeConfig: Bool, includeRetry: Bool = false) -> [UInt8] {
        var plugins: [MessagePackValue] = []
        guard let pipeline = pipeline.withLock({ $0 }) else { return Array("{\"plugins\":[]}".utf8) }
        func entry(id: String, category: String, type: String, element: ConfigElement, plugin: Any) -> MessagePackValue {
            var pairs: [MessagePackPair] = [
                .init(key: "plugin_id", value: .string(id)),
                .init(key: "plugin_category", value: .string(category)),
                .init(key: "type", value: .string(type)),
                .init(key: "output_plugin", value: .bool(category == "output")),
            ]
            if includeConfig {
                let config = element.parameters.map { parameter in
                    MessagePackPair(
                        key: .string(parameter.key),
                        value: .string(PipelineDirectory.secretKeys.contains(parameter.key) ? "xxxxxx" : parameter.value))
                }
                pairs.append(.init(key: "config", value: .map(config)))
            }
            if let reporting = plugin as? any PluginStatusReporting {
                for (key, value) in reporting.monitorStatus() where includeRetry || key != "retry" {
                    pairs.append(.init(key: .string(key), value: value))
                }
            }
            return .map(pairs)
        }
        for input in pipeline.inputs { plugins.append(entry(id: input.id, category: "input", type: input.type, element: input.element, plugin: input.plugin)) }
        for filter in pipeline.filters { plugins.append(entry(id: filter.id, category: "filter", type: filter.type, element: filter.element, plugin: filter.plugin)) }
        for output in pipeline.outputs { plugins.append(entry(id: output.id, category: "output", type: output.type, element: output.element, plugin: output.plugin)) }
        var out: [UInt8] = []
        JSONWriter.append(.record(["plugins": .array(plugins)]), to: &out)
        return out
    }

    func pluginsText() -> [UInt8] {
        guard let pipeline = pipeline.withLock({ $0 }) else { return [] }
        var lines: [String] = []
        for input in pipeline.inputs { lines.append("plugin_id:\(input.id)\tplugin_category:input\ttype:\(input.type)\toutput_plugin:false") }
        for filter in pipeline.filters { lines.append("plugin_id:\(filter.id)\tplugin_category:filter\ttype:\(filter.type)\toutput_plugin:false") }
        for output in pipeline.outputs { lines.append("plugin_id:\(output.id)\tplugin_category:output\ttype:\(output.type)\toutput_plugin:true") }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}
