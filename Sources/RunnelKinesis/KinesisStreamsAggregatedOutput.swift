import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelConfig

/// `@type kinesis_streams_aggregated`: KPL-aggregated records, one PutRecords per aggregate (fluent-plugin-kinesis compatible).
/// The app wires it to a `BufferedOutput` and the credential chain.
public struct KinesisStreamsAggregatedSender: ChunkSender {
    public let sender: KinesisSender
    public var configuration: KinesisConfiguration { sender.configuration }

    public init(
        configuration: KinesisConfiguration, credentials: any CredentialProvider, httpClient: HTTPClient,
        logger: Logger, clock: any Clock<Duration> = ContinuousClock()
    ) {
        precondition(configuration.kind == .streamsAggregated, "KinesisStreamsAggregatedSender needs a kinesis_streams_aggregated configuration")
        sender = KinesisSender(
            configuration: configuration, credentials: credentials, httpClient: httpClient, logger: logger, clock: clock)
    }

    /// Reads the `<match>` section (see KinesisConfiguration+Config.swift) and builds the sender.
    public init(
        element: ConfigElement, credentials: any CredentialProvider, httpClient: HTTPClient, logger: Logger,
        clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        try self.init(
            configuration: KinesisConfiguration(from: element, kind: .streamsAggregated), credentials: credentials,
            httpClient: httpClient, logger: logger, clock: clock)
    }

    public func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        await sender.send(chunk)
    }
}
