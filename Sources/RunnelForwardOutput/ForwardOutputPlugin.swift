import Logging
import NIOCore
import NIOPosix
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelPipeline

/// `<match> @type forward`: Fluentd's out_forward, a `ForwardChunkSender` behind a
/// `BufferedOutput` (memory buffer cut by tag unless `<buffer>` says otherwise), with the
/// heartbeat loop running beside the buffer for as long as the output runs.
public final class ForwardOutputPlugin: OutputPlugin, PluginStatusReporting, SecondaryChunkWriting {
    public let configuration: ForwardOutputConfiguration
    public let pool: ForwardServerPool
    let buffered: BufferedOutputPlugin<ForwardChunkSender>
    let heartbeater: ForwardHeartbeater
    let logger: Logger

    /// The factory the plugin catalog registers for `@type forward`.
    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        try ForwardOutputPlugin(context)
    }

    public init(_ context: PluginContext) throws {
        let configuration = try ForwardOutputConfiguration(from: context.element)
        var logger = context.logger
        logger[metadataKey: "plugin_id"] = "\(context.id)"
        self.configuration = configuration
        self.logger = logger
        pool = ForwardServerPool(configuration: configuration, logger: logger)
        heartbeater = ForwardHeartbeater(configuration: configuration, pool: pool, logger: logger)
        let sender = ForwardChunkSender(configuration: configuration, pool: pool, logger: logger)
        buffered = try BufferedOutputPlugin(context, sender: sender, defaultChunkKeys: "tag", pluginType: "forward")
    }

    public func emit(_ stream: EventStream) async throws { try await buffered.emit(stream) }

    public func run() async throws {
        if configuration.verifyConnectionAtStartup { try await verifyConnections() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [heartbeater] in await heartbeater.run() }
            for connection in buffered.sender.connections ?? [] {
                group.addTask { await connection.run() }
            }
            defer { group.cancelAll() }
            try await buffered.run()
        }
    }

    public func flushNow() async { await buffered.flushNow() }

    public func monitorStatus() -> [(key: String, value: MessagePackValue)] { buffered.monitorStatus() }

    public var secondarySender: any ChunkSender { buffered.secondarySender }

    /// `verify_connection_at_startup`: every server must accept a connection (a failure is
    /// logged and ignored with `ignore_network_errors_at_startup`).
    private func verifyConnections() async throws {
        for index in configuration.servers.indices {
            let server = configuration.servers[index]
            do {
                let address = try await pool.address(of: index)
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(TimeAmount(configuration.connectTimeout ?? configuration.sendTimeout))
                    .connect(host: address, port: server.port).get()
                try? await channel.close()
            } catch {
                guard configuration.ignoreNetworkErrorsAtStartup else { throw error }
                logger.warning(
                    "Forwarding server not reachable at start-up", metadata: ["forward.server": "\(server.name)", "error": "\(error)"])
            }
        }
    }
}
