import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelCore
import RunnelSigV4

/// One AWS API endpoint, the one way Runnel calls AWS: the URL requests go to, the Host header
/// they are signed with (IPv6 in brackets, no default port), SigV4 over the path as it is sent,
/// sending with a timeout, and the answer as it came. PutRecords, PutRecordBatch, the
/// destination check, STS (and, next, GetRecords and ListShards) go through it.
public struct AWSServiceClient: Sendable {
    public let endpoint: URL
    /// `Host` as signed and sent.
    public let host: String
    /// The request path, signed as sent (`/` when the endpoint has none).
    public let path: String
    let url: String
    let signer: SigV4Signer
    let httpClient: HTTPClient
    let now: @Sendable () -> Date

    public init(
        service: String, region: String, endpoint: URL, httpClient: HTTPClient, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        self.endpoint = endpoint
        host = SigV4Signer.hostHeader(host: endpoint.host ?? "", port: endpoint.port, scheme: scheme)
        path = endpoint.path.isEmpty ? "/" : endpoint.path
        url = "\(scheme)://\(host)\(path)"
        signer = SigV4Signer(service: service, region: region)
        self.httpClient = httpClient
        self.now = now
    }

    /// An answer, whatever its status.
    public struct Response: Sendable {
        public var status: Int
        /// `x-amzn-ErrorType`, which some services send instead of `__type`.
        public var errorType: String?
        public var body: [UInt8]

        /// The AWS JSON error document of a failed answer.
        public var error: AWSErrorDocument { AWSErrorDocument(body: body, errorTypeHeader: errorType) }
    }

    /// POSTs `body` with `headers`, signed with `credentials` (nil: unsigned, as
    /// AssumeRoleWithWebIdentity is). Throws what the transport threw when no answer came.
    public func post(
        headers: [(name: String, value: String)], body: [UInt8], credentials: AWSCredentials?, timeout: TimeAmount,
        maximumBody: Int = 16 << 20
    ) async throws -> Response {
        var all = headers
        if !all.contains(where: { $0.name.lowercased() == "host" }) { all.append(("Host", host)) }
        if let credentials {
            let request = SigV4Signer.Request(method: "POST", host: host, path: path, headers: all, body: body)
            all += signer.sign(request, credentials: credentials, date: now()).headers
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for header in all { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: timeout)
        var buffer = try await response.body.collect(upTo: maximumBody)
        return Response(
            status: Int(response.status.code), errorType: response.headers.first(name: "x-amzn-ErrorType"),
            body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// A call of the AWS JSON protocol, 1.1 (Kinesis, Firehose) or 1.0 (DynamoDB): `X-Amz-Target`
    /// names the operation.
    public func json(
        target: String, body: [UInt8], credentials: AWSCredentials, timeout: TimeAmount, protocolVersion: String = "1.1"
    ) async throws -> Response {
        try await post(
            headers: [("Content-Type", "application/x-amz-json-\(protocolVersion)"), ("X-Amz-Target", target)], body: body,
            credentials: credentials, timeout: timeout)
    }
}

/// An AWS JSON-protocol error document: `{"__type": "...#Code", "message": "..."}`.
public struct AWSErrorDocument: Sendable {
    public var code: String
    public var message: String

    public init(body: [UInt8], errorTypeHeader: String?) {
        let object = try? JSONReader.decode(body)
        let rawType = object?["__type"]?.stringValue ?? errorTypeHeader ?? ""
        code = AWSErrorDocument.shortCode(rawType)
        message = object?["message"]?.stringValue ?? object?["Message"]?.stringValue ?? ""
    }

    /// `com.amazonaws.kinesis.v20131202#ResourceNotFoundException:http://...` → `ResourceNotFoundException`.
    static func shortCode(_ raw: String) -> String {
        var code = Substring(raw)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        return String(code)
    }
}
