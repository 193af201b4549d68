import RunnelFileOutput
import RunnelFilters
import RunnelForward
import RunnelForwardOutput
import RunnelHTTPInput
import RunnelKinesis
import RunnelKinesisInput
import RunnelKubernetesMetadata
import RunnelMonitor
import RunnelParsers
import RunnelPipeline
import RunnelSyslog
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
        registry.inputs["syslog"] = SyslogInputPlugin.make
        registry.inputs["kinesis_streams"] = KinesisStreamsInput.make
        registry.inputs["tcp"] = TCPInputPlugin.make
        registry.inputs["udp"] = UDPInputPlugin.make
        registry.inputs["http"] = HTTPInputPlugin.make
        registry.filters["parser"] = ParserFilterPlugin.make
        registry.filters["kubernetes_metadata"] = KubernetesMetadataFilterPlugin.make
        FilterPlugins.register(into: &registry)
        registry.outputs["file"] = FileOutputPlugin.make
        registry.outputs["forward"] = ForwardOutputPlugin.make
        registry.outputs["kinesis_streams"] = KinesisOutputPlugin.make(kind: .streams)
        registry.outputs["kinesis_streams_aggregated"] = KinesisOutputPlugin.make(kind: .streamsAggregated)
        registry.outputs["kinesis_firehose"] = KinesisOutputPlugin.make(kind: .firehose)
        monitoring.register(into: &registry)
        for (type, reason) in planned where registry.inputs[type] == nil && registry.outputs[type] == nil && registry.filters[type] == nil {
            registry.planned[type] = reason
        }
        return registry
    }

    /// Types a Fluentd configuration may name that this build does not have yet.
    /// Empty while every type this build advertises is present.
    static let planned: [String: String] = [:]
}
