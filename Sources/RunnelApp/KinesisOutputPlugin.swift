import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelKinesis
import RunnelPipeline
import RunnelSigV4

/// `kinesis_streams`, `kinesis_streams_aggregated` and `kinesis_firehose` as `<match>` outputs:
/// the sender of RunnelKinesis behind a `BufferedOutput`, with its own HTTP client and the
/// credential chain of RunnelAWS.
final class KinesisOutputPlugin: OutputPlugin, PluginStatusReporting, DestinationCheckable, SecondaryChunkWriting {
    let buffered: BufferedOutput
    let sender: KinesisSender
    let httpClient: HTTPClient
    let configuration: KinesisConfiguration
    let credentials: any CredentialProvider

    init(_ context: PluginContext, kind: KinesisOutputKind, environment: [String: String] = ProcessInfoEnvironment.current) throws {
        let element = context.element
        configuration = try KinesisConfiguration(from: element, kind: kind, environment: environment)
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
        httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: KinesisOutputPlugin.clientConfiguration(configuration, environment: environment))
        do {
            credentials = try makeCredentialProvider(credentialConfiguration, httpClient: httpClient, logger: context.logger, environment: environment)
            // One sender for all three outputs: the configuration's kind picks the API and format.
            sender = KinesisSender(configuration: configuration, credentials: credentials, httpClient: httpClient, logger: context.logger)
            buffered = try BufferedOutput(name: context.id, element: element, sender: sender, context: context)
        } catch {
            try? httpClient.syncShutdown()
            throw error
        }
    }

    /// The output's HTTP client settings; `SSL_CERT_FILE`, as Ruby's OpenSSL (and so Fluentd)
    /// honours it, replaces the system trust store with the CA certificates in that PEM file.
    static func clientConfiguration(_ configuration: KinesisConfiguration, environment: [String: String]) -> HTTPClient.Configuration {
        var client = configuration.httpClientConfiguration()
        if configuration.sslVerifyPeer, let caFile = environment["SSL_CERT_FILE"], !caFile.isEmpty {
            var tls = client.tlsConfiguration ?? .makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            client.tlsConfiguration = tls
        }
        return client
    }

    deinit {
        // A plugin that was built but never run (--dry-run, a reload that failed) still owns its
        // client; after run() this second shutdown only reports that it already happened.
        httpClient.shutdown(queue: .global()) { _ in }
    }

    func emit(_ stream: EventStream) async throws {
        try await buffered.emit(stream)
    }

    var secondarySender: any ChunkSender { buffered.secondarySender }

    func run() async throws {
        do {
            try await buffered.run()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }

    func flushNow() async {
        await buffered.flushNow()
    }

    func monitorStatus() -> [(key: String, value: MessagePackValue)] {
        buffered.monitorStatus()
    }

    /// `--check-outputs`: the stream exists and the credentials may describe it
    /// (DescribeStreamSummary, or DescribeDeliveryStream for Firehose).
    func checkDestination() async throws -> String {
        try await sender.checkDestination()
    }
}
