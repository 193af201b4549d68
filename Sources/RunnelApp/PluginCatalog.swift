import Metrics
import Prometheus
import RunnelFileOutput
import RunnelForward
import RunnelKinesis
import RunnelParsers
import RunnelPipeline
import RunnelSystemd
import RunnelTail

/// Every plugin this build of Runnel has, by `@type`.
public enum PluginCatalog {
    public static func registry(monitoring: Monitoring = Monitoring()) -> PluginRegistry {
        var registry = PluginRegistry()
        StandardPlugins.register(into: &registry)
        registry.inputs["forward"] = ForwardInputPlugin.make
        registry.inputs["unix"] = UnixInputPlugin.make
        registry.inputs["tail"] = TailInputPlugin.make
        registry.inputs["systemd"] = SystemdInputPlugin.make
        registry.filters["parser"] = ParserFilterPlugin.make
        registry.filters["kubernetes_metadata"] = KubernetesMetadataFilterPlugin.make
        registry.outputs["file"] = FileOutputPlugin.make
        registry.outputs["kinesis_streams"] = KinesisOutputPlugin.make(kind: .streams)
        registry.outputs["kinesis_streams_aggregated"] = KinesisOutputPlugin.make(kind: .streamsAggregated)
        registry.outputs["kinesis_firehose"] = KinesisOutputPlugin.make(kind: .firehose)
        registry.inputs["monitor_agent"] = { context in
            try MonitorAgentInput(context, directory: monitoring.directory, registry: monitoring.prometheus, defaultPort: 24220)
        }
        registry.inputs["prometheus"] = { context in
            try MonitorAgentInput(context, directory: monitoring.directory, registry: monitoring.prometheus, defaultPort: 24231, fluentd: monitoring.fluentd)
        }
        for kind in [PrometheusMonitorConfiguration.Kind.status, .output, .tail] {
            registry.inputs[kind.rawValue] = { try PrometheusMonitorInput.make($0, kind: kind, monitoring: monitoring) }
        }
        for (type, reason) in planned where registry.inputs[type] == nil && registry.outputs[type] == nil && registry.filters[type] == nil {
            registry.planned[type] = reason
        }
        return registry
    }

    /// Types a Fluentd configuration may name that this build does not have yet.
    /// Empty while every type this build advertises is present.
    static let planned: [String: String] = [:]
}

/// The monitoring state shared by the runtime and the monitoring endpoint.
public final class Monitoring: Sendable {
    let directory = PipelineDirectory()
    let prometheus = PrometheusCollectorRegistry()
    /// The fluentd_* metrics of fluent-plugin-prometheus' monitor inputs.
    let fluentd = FluentdMetricFamilies()

    public init() {}

    /// Sends every swift-metrics metric to the Prometheus registry served at `/metrics`.
    public func bootstrapMetrics() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
    }

    public func publish(_ pipeline: Pipeline) {
        directory.publish(pipeline)
    }
}
