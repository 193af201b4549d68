import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelAWS
import RunnelCore
import RunnelSigV4

/// Sends one signed PutRecords / PutRecordBatch request over the JSON 1.1 protocol and reads
/// the answer. Failures come back as `KinesisError`, already classified.
struct KinesisClient: Sendable {
    let service: AWSServiceClient
    let credentials: any CredentialProvider
    let kind: KinesisOutputKind
    let region: String
    let timeout: Duration

    init(
        configuration: KinesisConfiguration, httpClient: HTTPClient, credentials: any CredentialProvider,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        service = AWSServiceClient(
            service: configuration.kind.service, region: configuration.region, endpoint: configuration.resolvedEndpoint,
            httpClient: httpClient, now: now)
        self.credentials = credentials
        self.kind = configuration.kind
        self.region = configuration.region
        self.timeout = configuration.requestTimeout
    }

    /// `Host` as signed: the endpoint host, with the port when it is not the scheme's default.
    var host: String { service.host }

    /// Sends `body` (a request for `stream`) and returns the per-record results.
    func send(body: [UInt8], stream: String) async throws(KinesisError) -> PutRecordsResponse {
        let response = try await call(target: kind.target, body: body, stream: stream)
        guard let parsed = PutRecordsResponse(json: response.body, kind: kind) else {
            throw KinesisError(
                .transport, message: "unreadable response (\(response.body.count) bytes)", stream: stream, region: region)
        }
        return parsed
    }

    /// `--check`: DescribeStreamSummary (DescribeDeliveryStream for Firehose) of `stream`.
    func describe(stream: String) async throws(KinesisError) {
        let isFirehose = kind == .firehose
        var body: [UInt8] = Array((isFirehose ? "{\"DeliveryStreamName\":" : "{\"StreamName\":").utf8)
        JSONWriter.appendString(stream, to: &body)
        body.append(UInt8(ascii: "}"))
        _ = try await call(
            target: isFirehose ? "Firehose_20150804.DescribeDeliveryStream" : "Kinesis_20131202.DescribeStreamSummary",
            body: body, stream: stream)
    }

    /// One signed JSON call; an answer other than 200 is a classified `KinesisError`.
    func call(target: String, body: [UInt8], stream: String) async throws(KinesisError) -> AWSServiceClient.Response {
        let creds: AWSCredentials
        do {
            creds = try await credentials.credentials()
        } catch {
            throw KinesisError(.credentials, message: "\(error)", stream: stream, region: region)
        }
        let response: AWSServiceClient.Response
        do {
            response = try await service.json(
                target: target, body: body, credentials: creds, timeout: TimeAmount.nanoseconds(timeout.nanoseconds))
        } catch {
            throw KinesisError(.transport, message: "\(error)", stream: stream, region: region)
        }
        guard response.status == 200 else {
            let document = response.error
            let code = document.code.isEmpty ? "HTTP \(response.status)" : document.code
            throw KinesisError(.service(code: code, status: response.status), message: document.message, stream: stream, region: region)
        }
        return response
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
