import RunnelBuffer
import RunnelCore
import RunnelPipeline

/// `<match> @type file`: Fluentd's out_file behind a `BufferedOutput` (a file buffer cut by day by
/// default). It can also be another output's `<secondary>`, taking its chunks whole.
public final class FileOutputPlugin: OutputPlugin, PluginStatusReporting, SecondaryChunkWriting {
    let buffered: BufferedOutput

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        try FileOutputPlugin(context)
    }

    init(_ context: PluginContext) throws {
        let element = context.element
        let configuration = try FileOutputConfiguration(from: element)
        let name = context.id
        // out_file's <buffer> defaults: @type file, chunk key time, timekey 1d, path from `path`.
        let defaults = (chunkKeys: "time", timekey: 86400, path: configuration.path)
        let buffer = try BufferConfiguration(
            element: element.element(named: "buffer"), defaultType: .file, defaultChunkKeys: defaults.chunkKeys,
            defaultTimekey: defaults.timekey, defaultPath: defaults.path, pluginName: name,
            explicitID: element.rawValue("@id"), rootDirectory: context.system.rootDirectory)
        let writer: FileChunkWriter
        do {
            writer = try FileChunkWriter(configuration: configuration, timekey: buffer.chunkKeys.time?.period)
        } catch let error as FileOutputError {
            throw element.rejected("path", error.description)
        }
        buffered = try BufferedOutput(
            name: name, element: element, sender: writer, context: context, defaultBufferType: .file,
            defaultChunkKeys: defaults.chunkKeys, defaultTimekey: defaults.timekey, defaultPath: defaults.path,
            pluginType: "file")
    }

    public func emit(_ stream: EventStream) async throws { try await buffered.emit(stream) }
    public func run() async throws { try await buffered.run() }
    public func flushNow() async { await buffered.flushNow() }
    public func monitorStatus() -> [(key: String, value: MessagePackValue)] { buffered.monitorStatus() }
    public var secondarySender: any ChunkSender { buffered.secondarySender }
}
