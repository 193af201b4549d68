import RunnelCore
import RunnelPipeline

extension PipelineDirectory {
    /// Every plugin of the running pipeline with its monitor_agent figures (inputs, filters, then
    /// outputs, as monitor_agent lists them); inputs that follow files (`TailedFilesReporting`,
    /// in_tail) with their watched files when `withTailFiles`.
    func monitoredPlugins(withTailFiles: Bool) async -> [MonitoredPlugin] {
        guard let pipeline = current else { return [] }
        var plugins: [MonitoredPlugin] = []
        func status(_ plugin: Any) -> [(key: String, value: MessagePackValue)] {
            (plugin as? any PluginStatusReporting)?.monitorStatus() ?? []
        }
        for input in pipeline.inputs {
            var monitored = MonitoredPlugin(
                id: input.id, category: "input", type: input.type, status: status(input.plugin) + (input.emitMetrics?.monitorStatus ?? []))
            if withTailFiles, let tail = input.plugin as? any TailedFilesReporting {
                monitored.tailFiles = await tail.tailedFiles()
                monitored.tailCounters = tail.tailedFileCounts
            }
            plugins.append(monitored)
        }
        for filter in pipeline.filters {
            plugins.append(MonitoredPlugin(id: filter.id, category: "filter", type: filter.type, status: status(filter.plugin)))
        }
        for output in pipeline.outputs {
            plugins.append(MonitoredPlugin(id: output.id, category: "output", type: output.type, status: status(output.plugin)))
        }
        return plugins
    }
}
