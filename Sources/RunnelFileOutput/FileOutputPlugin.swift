import RunnelBuffer
import RunnelCore
import RunnelPipeline

/// `<match> @type file`: Fluentd's out_file, a `FileChunkWriter` behind a `BufferedOutput` (a file
/// buffer cut by day by default). It can also be another output's `<secondary>`, taking its chunks
/// whole.
public typealias FileOutputPlugin = BufferedOutputPlugin<FileChunkWriter>

extension BufferedOutputPlugin where Sender == FileChunkWriter {
    /// The factory the plugin catalog registers for `@type file`.
    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        try FileOutputPlugin(context)
    }

    convenience init(_ context: PluginContext) throws {
        let element = context.element
        var configuration = try FileOutputConfiguration(from: element)
        configuration.filePermission = context.system.filePermission
        configuration.dirPermission = context.system.dirPermission
        // out_file's <buffer> defaults: @type file, chunk key time, timekey 1d, path from `path`.
        let defaults = (chunkKeys: "time", timekey: 86400, path: configuration.path)
        // The writer needs the timekey before the buffer exists: read <buffer> with the same defaults.
        let buffer = try BufferConfiguration(
            element: element.element(named: "buffer"), defaultType: .file, defaultChunkKeys: defaults.chunkKeys,
            defaultTimekey: defaults.timekey, defaultPath: defaults.path, pluginName: context.id,
            explicitID: element.rawValue("@id"), rootDirectory: context.system.rootDirectory,
            permissions: (context.system.filePermission, context.system.dirPermission))
        let writer: FileChunkWriter
        do {
            writer = try FileChunkWriter(configuration: configuration, timekey: buffer.chunkKeys.time?.period)
        } catch let error as FileOutputError {
            throw element.rejected("path", error.description)
        }
        try self.init(
            context, sender: writer, defaultBufferType: .file, defaultChunkKeys: defaults.chunkKeys,
            defaultTimekey: defaults.timekey, defaultPath: defaults.path, pluginType: "file")
    }
}
