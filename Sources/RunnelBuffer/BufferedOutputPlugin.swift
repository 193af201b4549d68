import RunnelConfig
import RunnelCore
import RunnelPipeline

/// A `<match>` output that is a `ChunkSender` behind Fluentd's `<buffer>`: the one shape of every
/// buffered output (out_file, the Kinesis outputs). The plugin owns the `BufferedOutput` built from
/// its section and forwards `emit`, `run`, `flushNow`, the monitor_agent status and the
/// `<secondary>` sender to it; what the output holds besides (an HTTP client) is an
/// `OutputResource`, closed when `run()` returns.
///
/// It can be checked with `--check-outputs` exactly when its sender can: the conformance to
/// `DestinationCheckable` is the sender's.
public final class BufferedOutputPlugin<Sender: ChunkSender>: OutputPlugin, PluginStatusReporting, SecondaryChunkWriting {
    public let buffered: BufferedOutput
    public let sender: Sender
    let resource: OutputResource?

    /// Builds the buffer of `context.element` in front of `sender`; the defaults are the plugin's
    /// own `<buffer>` defaults (Fluentd's `config_section :buffer` overrides), as for
    /// `BufferedOutput.init(name:element:sender:context:...)`.
    public init(
        _ context: PluginContext, sender: Sender, defaultBufferType: BufferConfiguration.StorageType = .memory,
        defaultChunkKeys: String = "", defaultTimekey: Int? = nil, defaultPath: String? = nil, pluginType: String? = nil,
        resource: OutputResource? = nil
    ) throws {
        self.sender = sender
        self.resource = resource
        buffered = try BufferedOutput(
            name: context.id, element: context.element, sender: sender, context: context, defaultBufferType: defaultBufferType,
            defaultChunkKeys: defaultChunkKeys, defaultTimekey: defaultTimekey, defaultPath: defaultPath, pluginType: pluginType)
    }

    deinit {
        // A plugin that was built but never run (--dry-run, a reload that failed) still owns its
        // resource; after run() this second close only finds it closed.
        resource?.closeWithoutWaiting()
    }

    public func emit(_ stream: EventStream) async throws { try await buffered.emit(stream) }

    public func run() async throws {
        do {
            try await buffered.run()
        } catch {
            try? await resource?.close()
            throw error
        }
        try await resource?.close()
    }

    public func flushNow() async { await buffered.flushNow() }

    public func monitorStatus() -> [(key: String, value: MessagePackValue)] { buffered.monitorStatus() }

    public var secondarySender: any ChunkSender { buffered.secondarySender }
}

/// `--check-outputs`: the sender says whether its destination is reachable.
extension BufferedOutputPlugin: DestinationCheckable where Sender: DestinationCheckable {
    public func checkDestination() async throws -> String {
        try await sender.checkDestination()
    }
}
