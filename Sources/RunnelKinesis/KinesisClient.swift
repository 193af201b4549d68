import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelAWS
import RunnelSigV4

/// Sends one signed PutRecords / PutRecordBatch request over the JSON 1.1 protocol and reads
/// the answer. Failures come back as `KinesisError`, already classified.
struct KinesisClient: Sendable {
    let httpClient: HTTPClient
    let credentials: any CredentialProvider
    let kind: KinesisOutputKind
    let region: String
    let url: String
    /// `Host` as signed: the endpoint host, with the port when it is not the scheme's default.
    let host: String
    let signer: SigV4Signer
    let timeout: Duration
    let now: @Sendable () -> Date

    init(
        configuration: KinesisConfiguration, httpClient: HTTPClient, credentials: any CredentialProvider,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let endpoint = configuration.resolvedEndpoint
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        let hostName = endpoint.host ?? ""
        let bracketed = hostName.contains(":") ? "[\(hostName)]" : hostName
        var host = bracketed
        if let port = endpoint.port, !(scheme == "https" && port == 443) && !(scheme == "http" && port == 80) {
            host += ":\(port)"
        }
        self.httpClient = httpClient
        self.credentials = credentials
        self.kind = configuration.kind
        self.region = configuration.region
        self.host = host
        var path = endpoint.path
        if path.isEmpty { path = "/" }
        self.url = "\(scheme)://\(host)\(path)"
        self.signer = SigV4Signer(service: configuration.kind.service, region: configuration.region)
        self.timeout = configuration.requestTimeout
        self.now = now
    }

    /// Sends `body` (a request for `stream`) and returns the per-record results.
    func send(body: [UInt8], stream: String) async throws(KinesisError) -> PutRecordsResponse {
        let creds: AWSCredentials
        do {
            creds = try await credentials.credentials()
        } catch {
            throw KinesisError(.credentials, message: "\(error)", stream: stream, region: region)
        }
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", kind.target),
        ]
        let signature = signer.sign(
            SigV4Signer.Request(method: "POST", host: host, path: "/", headers: headers, body: body),
            credentials: creds, date: now())
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for header in headers + signature.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))

        let status: Int
        let responseBody: [UInt8]
        let errorTypeHeader: String?
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount.nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            errorTypeHeader = response.headers.first(name: "x-amzn-ErrorType")
            var buffer = try await response.body.collect(upTo: 16 << 20)
            responseBody = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw KinesisError(.transport, message: "\(error)", stream: stream, region: region)
        }
        guard status == 200 else {
            let document = AWSErrorDocument(body: responseBody, errorTypeHeader: errorTypeHeader)
            let code = document.code.isEmpty ? "HTTP \(status)" : document.code
            throw KinesisError(.service(code: code, status: status), message: document.message, stream: stream, region: region)
        }
        guard let parsed = PutRecordsResponse(json: responseBody, kind: kind) else {
            throw KinesisError(
                .transport, message: "unreadable response (\(responseBody.count) bytes)", stream: stream, region: region)
        }
        return parsed
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
