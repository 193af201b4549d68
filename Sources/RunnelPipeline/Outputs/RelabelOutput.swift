import RunnelConfig
import RunnelCore
import ServiceLifecycle

/// `@type relabel`: sends events on to the router of the label named by `@label`
/// (Fluentd's out_relabel).
public struct RelabelOutput: OutputPlugin {
    let target: any EventSink

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        let element = context.element
        let label = try element.requiredString("@label")
        guard let sink = context.labelRouter(label) else {
            throw ConfigError(
                .structure, at: element.parameter("@label")?.location ?? element.location,
                "\(element.title): relabel to \(label), which no <label \(label)> section defines")
        }
        return RelabelOutput(target: sink)
    }

    public func emit(_ stream: EventStream) async throws {
        try await target.emit(stream)
    }

    public func run() async throws {
        try? await gracefulShutdown()
    }
}
