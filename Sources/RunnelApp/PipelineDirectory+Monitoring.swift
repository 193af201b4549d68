import NIOPosix
import RunnelPipeline
import RunnelTail

extension PipelineDirectory {
    /// Every plugin of the running pipeline with its monitor_agent figures (inputs, filters, then
    /// outputs, as monitor_agent lists them); tail inputs with their watched files when
    /// `withTailFiles` (their pos_files are read on NIO's thread pool).
    func monitoredPlugins(withTailFiles: Bool) async -> [MonitoredPlugin] {
        guard let pipeline = current else { return [] }
        var plugins: [MonitoredPlugin] = []
        func status(_ plugin: Any) -> [(key: String, value: RunnelCore.MessagePackValue)] {
            (plugin as? any PluginStatusReporting)?.monitorStatus() ?? []
        }
        for input in pipeline.inputs {
            var monitored = MonitoredPlugin(id: input.id, category: "input", type: input.type, status: status(input.plugin))
            if withTailFiles, let tail = input.plugin as? TailInputPlugin {
                let files = (try? await NIOThreadPool.singleton.runIfActive { tail.watchedFiles() }) ?? []
                monitored.tailFiles = files.map { ($0.path, $0.position, $0.inode) }
                let counters = tail.fileCounters
                monitored.tailCounters = (counters.opened, counters.closed, counters.rotated, counters.throttled)
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

import RunnelCore
