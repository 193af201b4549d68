import RunnelPipeline

/// The plugins of this target, by `@type`.
public enum FilterPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.outputs["rewrite_tag_filter"] = RewriteTagFilterOutput.make
        registry.filters["record_modifier"] = RecordModifierFilter.make
        registry.filters["concat"] = ConcatFilter.make
        registry.outputs["detect_exceptions"] = DetectExceptionsOutput.make
        registry.filters["stdout"] = StdoutFilter.make
    }
}
