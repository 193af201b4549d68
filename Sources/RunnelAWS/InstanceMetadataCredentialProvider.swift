import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RunnelCore
import RunnelSigV4

/// `<instance_profile_credentials>`: the EC2 instance role from the instance metadata service.
///
/// IMDSv2 as the AWS SDKs do it: PUT `/latest/api/token`, then GET the role name and the role's
/// credentials with the token. If the token PUT answers 403, 404 or 405, or times out, IMDSv1
/// (no token) is used, unless `AWS_EC2_METADATA_V1_DISABLED` is true (botocore's rule). A 401 on
/// a GET means the token went stale: one new token, one more try.
public struct InstanceMetadataCredentialProvider: CredentialProvider, CustomStringConvertible {
    /// fluent-plugin-kinesis / aws-sdk-ruby `InstanceProfileCredentials` options and defaults.
    public struct Settings: Sendable, Equatable {
        /// Extra attempts after a connection failure or a 5xx (`retries`, default 1).
        public var retries: Int = 1
        public var ipAddress: String = "169.254.169.254"
        public var port: Int = 80
        /// `http_open_timeout` and `http_read_timeout` (seconds, default 1 each); their sum
        /// bounds each request.
        public var openTimeout: Double = 1
        public var readTimeout: Double = 1
        /// `AWS_EC2_METADATA_V1_DISABLED`: never fall back to IMDSv1.
        public var disableV1 = false
        /// Token lifetime asked for (`X-aws-ec2-metadata-token-ttl-seconds`).
        public var tokenTTL = 21600

        public init() {}

        var baseURL: String {
            let host = ipAddress.contains(":") && !ipAddress.hasPrefix("[") ? "[\(ipAddress)]" : ipAddress
            return "http://\(host):\(port)"
        }
    }

    public let settings: Settings
    private let cache: ExpiringCredentials

    public init(settings: Settings = Settings(), httpClient: HTTPClient, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        let client = IMDSClient(settings: settings, httpClient: httpClient)
        self.cache = ExpiringCredentials(source: "EC2 instance metadata", logger: logger, now: now) {
            try await client.fetchCredentials()
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public func invalidate() async { await cache.invalidate() }

    public var description: String { "EC2 instance metadata \(settings.baseURL)" }
}

/// The HTTP side of IMDS credentials.
struct IMDSClient: Sendable {
    let settings: InstanceMetadataCredentialProvider.Settings
    let httpClient: HTTPClient
    static let source = "EC2 instance metadata"
    static let rolePath = "/latest/meta-data/iam/security-credentials/"

    var timeout: TimeAmount { .milliseconds(Int64((settings.openTimeout + settings.readTimeout) * 1000)) }

    func fetchCredentials() async throws -> AWSCredentials {
        var token = try await fetchToken()
        var refreshedToken = false
        while true {
            do {
                let role =
                    try await get(IMDSClient.rolePath, token: token)
                    .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
                guard !role.isEmpty else {
                    throw RunnelAWSError.credentialsNotFound(source: IMDSClient.source, reason: "the instance has no IAM role")
                }
                let body = try await get(IMDSClient.rolePath + role, token: token)
                return try CredentialsDocument.credentials(from: Data(body.utf8), source: IMDSClient.source)
            } catch RunnelAWSError.httpStatus(_, _, 401, _) where token != nil && !refreshedToken {
                refreshedToken = true
                token = try await fetchToken()
            }
        }
    }

    /// The session token, or nil to go on with IMDSv1.
    func fetchToken() async throws -> Secret? {
        var request = HTTPClientRequest(url: settings.baseURL + "/latest/api/token")
        request.method = .PUT
        request.headers.add(name: "X-aws-ec2-metadata-token-ttl-seconds", value: String(settings.tokenTTL))
        let endpoint = settings.baseURL + "/latest/api/token"
        do {
            let response = try await withRetries {
                try await AWSHTTP.send(request, client: httpClient, source: IMDSClient.source, endpoint: endpoint, timeout: timeout)
            }
            switch response.status {
            case 200: return Secret(response.body.trimmingCharacters(in: .whitespacesAndNewlines))
            case 403, 404, 405:
                if settings.disableV1 {
                    throw RunnelAWSError.httpStatus(
                        source: IMDSClient.source, endpoint: endpoint, status: response.status,
                        body: "IMDSv2 token refused and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1")
                }
                return nil
            default:
                throw RunnelAWSError.httpStatus(source: IMDSClient.source, endpoint: endpoint, status: response.status, body: "")
            }
        } catch RunnelAWSError.timedOut where !settings.disableV1 {
            return nil
        } catch RunnelAWSError.connectionFailed(_, _, let reason) {
            throw RunnelAWSError.credentialsNotFound(
                source: IMDSClient.source, reason: "no metadata service at \(settings.baseURL) (\(reason))")
        }
    }

    func get(_ path: String, token: Secret?) async throws -> String {
        var request = HTTPClientRequest(url: settings.baseURL + path)
        if let token { request.headers.add(name: "X-aws-ec2-metadata-token", value: token.reveal()) }
        let endpoint = settings.baseURL + path
        let response = try await withRetries {
            try await AWSHTTP.send(request, client: httpClient, source: IMDSClient.source, endpoint: endpoint, timeout: timeout)
        }
        guard response.status == 200 else {
            if response.status == 404 && path == IMDSClient.rolePath {
                throw RunnelAWSError.credentialsNotFound(source: IMDSClient.source, reason: "the instance has no IAM role")
            }
            throw RunnelAWSError.httpStatus(source: IMDSClient.source, endpoint: endpoint, status: response.status, body: "")
        }
        return response.body
    }

    /// Up to `retries` more attempts on connection failures and 5xx answers, without waiting
    /// (the caller's back-off spaces refreshes).
    private func withRetries(_ operation: () async throws -> AWSHTTP.Response) async throws -> AWSHTTP.Response {
        var attempt = 0
        while true {
            do {
                let response = try await operation()
                if response.status >= 500 && attempt < settings.retries { attempt += 1; continue }
                return response
            } catch let error as RunnelAWSError {
                guard case .connectionFailed = error, attempt < settings.retries else { throw error }
                attempt += 1
            }
        }
    }
}
