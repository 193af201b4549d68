import Logging
import RunnelConfig
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type prometheus_monitor`, `prometheus_output_monitor` and `prometheus_tail_monitor`
/// (fluent-plugin-prometheus): every `interval` seconds, read the plugins' monitor_agent figures
/// and set the metrics fluent-plugin-prometheus sets, with its names, help texts, types and
/// labels, so dashboards and alerts written for Fluentd keep working. They are served by a
/// `<source> @type prometheus` on `/metrics`, after Runnel's own `runnel_*` metrics.
final class PrometheusMonitorInput: InputPlugin {
    let configuration: PrometheusMonitorConfiguration
    let directory: PipelineDirectory
    let families: FluentdMetricFamilies
    let logger: Logger
    /// Updates done so far: lets tests wait for one instead of sleeping.
    let updates = Atomic<Int>(0)

    init(configuration: PrometheusMonitorConfiguration, directory: PipelineDirectory, families: FluentdMetricFamilies, logger: Logger) {
        self.configuration = configuration
        self.directory = directory
        self.families = families
        self.logger = logger
    }

    static func make(_ context: PluginContext, kind: PrometheusMonitorConfiguration.Kind, monitoring: Monitoring) throws -> any InputPlugin {
        PrometheusMonitorInput(
            configuration: try PrometheusMonitorConfiguration(context.element, kind: kind),
            directory: monitoring.directory, families: monitoring.fluentd, logger: context.logger)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.update()
                try? await Task.sleep(for: .milliseconds(Int(self.configuration.interval * 1000)))
            }
        }
    }

    /// Reads the plugins once and sets every metric.
    func update() async {
        let plugins = await directory.monitoredPlugins(withTailFiles: configuration.kind == .tail)
        for sample in PrometheusMonitorCollector.samples(configuration, plugins: plugins) {
            families.declare(sample.name, kind: sample.kind, help: sample.help)
            families.set(sample.name, labels: sample.labels, to: sample.value)
        }
        updates.add(1, ordering: .relaxed)
    }
}
