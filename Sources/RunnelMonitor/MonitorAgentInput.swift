import Logging
import Prometheus
import RunnelConfig
import RunnelCore
import RunnelHTTPServer
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type monitor_agent` (Fluentd's in_monitor_agent) and `<source> @type prometheus`
/// (fluent-plugin-prometheus): the monitoring HTTP endpoint.
///
/// Paths: `/api/plugins.json` and `/api/plugins` (monitor_agent's shapes), `/metrics`
/// (Prometheus text format: every `runnel_*` metric, then the `fluentd_*` metrics of the
/// prometheus_*monitor inputs), `/healthz` (200 while the process serves) and `/readyz` (200
/// when every listening input listens and no output is stalled; else 503 naming each plugin and
/// why).
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
/// | `readiness_stall_timeout` | time | 60 | Runnel only: `/readyz` is 503 while an output has had chunks waiting this long with every attempt failing |
///
/// `tag` and `emit_interval` (monitor_agent emitting its figures as events) are not supported
/// and reported as unused.
final class MonitorAgentInput: InputPlugin {
    let server: HTTPServer
    private let bound = Mutex<Int?>(nil)

    /// The port the endpoint listens on, once it does (the configured one, or the one chosen for port 0).
    var boundPort: Int? { bound.withLock { $0 } }

    init(
        _ context: PluginContext, directory: PipelineDirectory, registry: PrometheusCollectorRegistry, defaultPort: Int,
        fluentd: FluentdMetricFamilies = FluentdMetricFamilies()
    ) throws {
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
        let stallTimeout = try element.time("readiness_stall_timeout", default: 60)
        guard stallTimeout > 0 else { throw element.rejected("readiness_stall_timeout", "must be more than 0") }
        let metrics: @Sendable () -> [UInt8] = { registry.emitToBuffer() + fluentd.render() }
        let (withConfig, withRetry) = (includeConfig, includeRetry)
        // Registered last wins: a metrics_path of /api/plugins.json is still monitor_agent's.
        var router = HTTPRouter()
        router.get("/healthz") { _ in .text("ok\n") }
        router.get("/readyz") { _ in
            let reasons = directory.notReady(stallTimeout: stallTimeout)
            guard !reasons.isEmpty else { return .text("ok\n") }
            return .text("not ready\n" + reasons.map { "\($0)\n" }.joined(), status: .serviceUnavailable)
        }
        for path in Set([metricsPath, aggregatedPath, "/metrics"]) {
            router.get(path) { _ in HTTPResponse(contentType: "text/plain; version=0.0.4", body: metrics()) }
        }
        router.get("/api/plugins") { _ in HTTPResponse(contentType: "text/plain", body: directory.pluginsText()) }
        router.get("/api/plugins.json") { _ in
            HTTPResponse(contentType: "application/json", body: directory.pluginsJSON(includeConfig: withConfig, includeRetry: withRetry))
        }
        server = HTTPServer(
            configuration: .init(host: element.string("bind", default: "0.0.0.0"), port: try element.integer("port", default: defaultPort)),
            router: router, logger: context.logger)
    }

    func run() async throws {
        try await server.run(onBound: { address in
            self.bound.withLock { $0 = address.port }
            let host = self.server.configuration.host
            self.server.logger.info("monitoring endpoint listening", metadata: ["monitor.address": "\(host):\(address.port ?? 0)"])
        })
    }
}
