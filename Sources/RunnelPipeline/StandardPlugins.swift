/// The plugins RunnelPipeline itself provides: Fluentd's core filters and simple outputs.
public enum StandardPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.inputs["sample"] = SampleInput.make
        registry.inputs["dummy"] = SampleInput.make
        registry.filters["record_transformer"] = RecordTransformerFilter.make
        registry.filters["grep"] = GrepFilter.make
        registry.outputs["null"] = NullOutput.make
        registry.outputs["stdout"] = StdoutOutput.make
        registry.outputs["copy"] = CopyOutput.make
        registry.outputs["relabel"] = RelabelOutput.make
    }
}
