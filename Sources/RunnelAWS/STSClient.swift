import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RunnelCore
import RunnelSigV4

/// The two STS calls a log agent needs, over the query API (form POST, XML answer):
/// `AssumeRole` signed with SigV4 and `AssumeRoleWithWebIdentity`, which is unsigned.
public struct STSClient: Sendable {
    public var endpoint: URL
    public var region: String
    public var timeout: TimeAmount
    private let httpClient: HTTPClient
    private let proxyClient: OwnedHTTPClient?
    private let now: @Sendable () -> Date

    /// `endpoint` nil means the regional endpoint `https://sts.<region>.amazonaws.com`.
    /// `proxy` (`sts_http_proxy`, `http://host:port`) sends the calls through an HTTP proxy.
    public init(
        region: String, endpoint: URL? = nil, proxy: URL? = nil, httpClient: HTTPClient, timeout: TimeAmount = .seconds(10),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.region = region
        self.endpoint = endpoint ?? STSClient.regionalEndpoint(region)
        self.timeout = timeout
        self.httpClient = httpClient
        self.proxyClient = proxy.flatMap { OwnedHTTPClient(proxy: $0) }
        self.now = now
    }

    public static func regionalEndpoint(_ region: String) -> URL {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://sts.\(region).\(suffix)")!
    }

    public struct AssumeRoleParameters: Sendable, Equatable {
        public var roleARN: String
        public var roleSessionName: String
        public var policy: String?
        public var durationSeconds: Int?
        public var externalID: String?
        /// `SourceIdentity`: who is behind the session, kept in CloudTrail across role chaining.
        public var sourceIdentity: String?

        public init(
            roleARN: String, roleSessionName: String, policy: String? = nil, durationSeconds: Int? = nil,
            externalID: String? = nil, sourceIdentity: String? = nil
        ) {
            self.roleARN = roleARN
            self.roleSessionName = roleSessionName
            self.policy = policy
            self.durationSeconds = durationSeconds
            self.externalID = externalID
            self.sourceIdentity = sourceIdentity
        }

        var fields: [(name: String, value: String)] {
            var fields: [(name: String, value: String)] = [("RoleArn", roleARN), ("RoleSessionName", roleSessionName)]
            if let policy { fields.append(("Policy", policy)) }
            if let durationSeconds { fields.append(("DurationSeconds", String(durationSeconds))) }
            if let externalID { fields.append(("ExternalId", externalID)) }
            if let sourceIdentity { fields.append(("SourceIdentity", sourceIdentity)) }
            return fields
        }
    }

    /// STS AssumeRole, signed with `credentials`.
    public func assumeRole(_ parameters: AssumeRoleParameters, credentials: AWSCredentials) async throws -> AWSCredentials {
        try await call(
            "AssumeRole", roleARN: parameters.roleARN, fields: parameters.fields, signWith: credentials)
    }

    /// STS AssumeRoleWithWebIdentity with the token read from the token file.
    public func assumeRoleWithWebIdentity(_ parameters: AssumeRoleParameters, token: Secret) async throws -> AWSCredentials {
        var fields = parameters.fields.filter { $0.name != "ExternalId" && $0.name != "SourceIdentity" }
        fields.append(("WebIdentityToken", token.reveal()))
        return try await call("AssumeRoleWithWebIdentity", roleARN: parameters.roleARN, fields: fields, signWith: nil)
    }

    private func call(
        _ action: String, roleARN: String, fields: [(name: String, value: String)], signWith credentials: AWSCredentials?
    ) async throws -> AWSCredentials {
        let form = [("Action", action), ("Version", "2011-06-15")] + fields
        let body = Array(SigV4Signer.encodedQuery(form.map { (name: $0.0, value: $0.1) }).utf8)
        let service = AWSServiceClient(
            service: "sts", region: region, endpoint: endpoint, httpClient: proxyClient?.client ?? httpClient, now: now)
        let answer: AWSServiceClient.Response
        do {
            answer = try await service.post(
                headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: body,
                credentials: credentials, timeout: timeout, maximumBody: AWSHTTP.maximumBody)
        } catch {
            throw AWSHTTP.classify(error, source: "STS \(action)", endpoint: endpoint.absoluteString, timeout: timeout)
        }
        let response = AWSHTTP.Response(status: answer.status, body: String(decoding: answer.body, as: UTF8.self))
        guard response.status == 200 else {
            let code = XMLText.first("Code", in: response.body) ?? "HTTP\(response.status)"
            let message = XMLText.first("Message", in: response.body) ?? String(response.body.prefix(300))
            throw RunnelAWSError.stsFailure(
                operation: action, roleARN: roleARN, status: response.status, code: code, message: message)
        }
        guard let keyID = XMLText.first("AccessKeyId", in: response.body),
            let secret = XMLText.first("SecretAccessKey", in: response.body),
            let token = XMLText.first("SessionToken", in: response.body)
        else {
            throw RunnelAWSError.invalidResponse(source: "STS \(action)", reason: "no Credentials element in the answer")
        }
        let expiration = XMLText.first("Expiration", in: response.body).flatMap(AWSDate.parse)
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: Secret(token), expiration: expiration)
    }
}

/// An HTTP client of our own (for a proxy), shut down when the last user lets go of it.
final class OwnedHTTPClient: Sendable {
    let client: HTTPClient

    init?(proxy: URL) {
        guard let host = proxy.host else { return nil }
        var configuration = HTTPClient.Configuration()
        configuration.proxy = .server(host: host, port: proxy.port ?? 80)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        client.shutdown(queue: .global()) { _ in }
    }
}

/// The text of simple XML elements, enough for STS answers (no attributes, no nesting by name).
enum XMLText {
    static func first(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
            let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return unescape(String(xml[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
