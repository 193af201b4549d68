import RunnelConfig
import RunnelCore
import RunnelPipeline
import Synchronization

/// The running pipeline's plugins, for the monitoring endpoint; set once the pipeline is built.
final class PipelineDirectory: Sendable {
    private let pipeline = Mutex<Pipeline?>(nil)

    func publish(_ pipeline: Pipeline) {
        self.pipeline.withLock { $0 = pipeline }
    }

    var current: Pipeline? { pipeline.withLock { $0 } }

    func pluginsJSON(includeConfig: Bool, includeRetry: Bool = false) -> [UInt8] {
        var plugins: [MessagePackValue] = []
        guard let pipeline = pipeline.withLock({ $0 }) else { return Array("{\"plugins\":[]}".utf8) }
        func entry(
            id: String, category: String, type: String, element: ConfigElement, plugin: Any, metrics: InputEmitMetrics? = nil
        ) -> MessagePackValue {
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
                        value: .string(parameter.shownValue))
                }
                pairs.append(.init(key: "config", value: .map(config)))
            }
            if let reporting = plugin as? any PluginStatusReporting {
                for (key, value) in reporting.monitorStatus() where includeRetry || key != "retry" {
                    pairs.append(.init(key: .string(key), value: value))
                }
            }
            for (key, value) in metrics?.monitorStatus ?? [] { pairs.append(.init(key: .string(key), value: value)) }
            return .map(pairs)
        }
        for input in pipeline.inputs {
            plugins.append(
                entry(id: input.id, category: "input", type: input.type, element: input.element, plugin: input.plugin, metrics: input.emitMetrics))
        }
        for filter in pipeline.filters {
            plugins.append(entry(id: filter.id, category: "filter", type: filter.type, element: filter.element, plugin: filter.plugin))
        }
        for output in pipeline.outputs {
            plugins.append(entry(id: output.id, category: "output", type: output.type, element: output.element, plugin: output.plugin))
        }
        var out: [UInt8] = []
        JSONWriter.append(.record(["plugins": .array(plugins)]), to: &out)
        return out
    }

    /// Why the pipeline is not ready: one line per plugin that says it is not (`ReadinessReporting`).
    func notReady(stallTimeout: Double) -> [String] {
        guard let pipeline = pipeline.withLock({ $0 }) else { return ["no pipeline is running yet"] }
        var reasons: [String] = []
        for input in pipeline.inputs {
            if let reason = (input.plugin as? any ReadinessReporting)?.notReadyReason(stallTimeout: stallTimeout) {
                reasons.append("input \(input.id) (\(input.type)): \(reason)")
            }
        }
        for output in pipeline.outputs {
            if let reason = (output.plugin as? any ReadinessReporting)?.notReadyReason(stallTimeout: stallTimeout) {
                reasons.append("output \(output.id) (\(output.type)): \(reason)")
            }
        }
        return reasons
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
