import Metrics
import Prometheus
import RunnelPipeline

/// The monitoring state shared by the runtime and the monitoring inputs: the running
/// pipeline's plugins, the Prometheus registry of every `runnel_*` metric, and the `fluentd_*`
/// metrics of fluent-plugin-prometheus' monitor inputs.
public final class Monitoring: Sendable {
    let directory = PipelineDirectory()
    let prometheus = PrometheusCollectorRegistry()
    /// The fluentd_* metrics of fluent-plugin-prometheus' monitor inputs.
    let fluentd = FluentdMetricFamilies()

    public init() {}

    /// Registers `monitor_agent`, `prometheus`, `prometheus_monitor`, `prometheus_output_monitor`
    /// and `prometheus_tail_monitor`, all reading this state.
    public func register(into registry: inout PluginRegistry) {
        registry.inputs["monitor_agent"] = { context in
            // in_monitor_agent.rb: `config_param :port, :integer, default: 24220`.
            try MonitorAgentInput(context, directory: self.directory, registry: self.prometheus, defaultPort: 24220)
        }
        registry.inputs["prometheus"] = { context in
            // in_prometheus.rb: `config_param :port, :integer, default: 24231`.
            try MonitorAgentInput(context, directory: self.directory, registry: self.prometheus, defaultPort: 24231, fluentd: self.fluentd)
        }
        for kind in [PrometheusMonitorConfiguration.Kind.status, .output, .tail] {
            registry.inputs[kind.rawValue] = { try PrometheusMonitorInput.make($0, kind: kind, monitoring: self) }
        }
    }

    /// Sends every swift-metrics metric to the Prometheus registry served at `/metrics`.
    public func bootstrapMetrics() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
    }

    /// Makes `pipeline` the one the endpoints list (called before it runs, and on each reload).
    public func publish(_ pipeline: Pipeline) {
        directory.publish(pipeline)
    }
}
