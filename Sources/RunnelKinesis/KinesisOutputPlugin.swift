import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelPipeline

/// `kinesis_streams`, `kinesis_streams_aggregated` and `kinesis_firehose` as `<match>` outputs:
/// a `KinesisSender` behind a `BufferedOutput`, with its own HTTP client (closed when the output
/// stops) and the credential chain of RunnelAWS. `--check-outputs` describes the stream.
public typealias KinesisOutputPlugin = BufferedOutputPlugin<KinesisSender>

extension KinesisSender: DestinationCheckable {}

extension BufferedOutputPlugin where Sender == KinesisSender {
    /// The factory the plugin catalog registers for the output `kind`.
    public static func make(kind: KinesisOutputKind) -> @Sendable (PluginContext) throws -> any OutputPlugin {
        { context in try KinesisOutputPlugin.make(context, kind: kind) }
    }

    /// Reads the `<match>` section of `context` (its Kinesis keys, credential source and
    /// `<buffer>`) and builds the output.
    static func make(
        _ context: PluginContext, kind: KinesisOutputKind, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KinesisOutputPlugin {
        let element = context.element
        let configuration = try KinesisConfiguration(from: element, kind: kind, environment: environment)
        let credentialConfiguration = try AWSCredentialsConfiguration(from: element)
        for key in configuration.ineffectiveParameters {
            context.logger.warning(
                "Parameter has no effect, as in fluent-plugin-kinesis; use <inject> time_key/tag_key",
                metadata: ["plugin_id": "\(context.id)", "parameter": "\(key)"])
        }
        for ignored in credentialConfiguration.ignoredSources {
            context.logger.warning(
                "Credential source ignored: fluent-plugin-kinesis takes one source",
                metadata: ["plugin_id": "\(context.id)", "ignored": "\(ignored)"])
        }
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: configuration.httpClientConfiguration(environment: environment))
        do {
            let credentials = try makeCredentialProvider(
                credentialConfiguration, httpClient: httpClient, logger: context.logger, environment: environment)
            // One sender for all three outputs: the configuration's kind picks the API and format.
            let sender = KinesisSender(configuration: configuration, credentials: credentials, httpClient: httpClient, logger: context.logger)
            return try KinesisOutputPlugin(context, sender: sender, resource: .httpClient(httpClient))
        } catch {
            try? httpClient.syncShutdown()
            throw error
        }
    }
}

extension OutputResource {
    /// An output's own HTTP client.
    static func httpClient(_ client: HTTPClient) -> OutputResource {
        OutputResource(close: { try await client.shutdown() }, closeWithoutWaiting: { client.shutdown(queue: .global()) { _ in } })
    }
}
