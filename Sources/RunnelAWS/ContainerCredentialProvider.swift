import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RunnelCore
import RunnelSigV4

/// ECS task roles and EKS Pod Identity: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on
/// 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the authorization token from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every refresh) or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let endpoint: String
    private let cache: ExpiringCredentials

    /// Full URIs must point at a loopback address or a container-credentials address, or use
    /// HTTPS (as in the AWS SDKs), so credentials never go to an arbitrary host in clear text.
    static let allowedHosts: Set<String> = ["localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    /// The endpoint the environment names, or nil if it names none.
    public static func endpoint(environment: [String: String]) throws -> String? {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            return "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else { return nil }
        guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            throw RunnelAWSError.invalidConfiguration(source: "container", reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
        }
        let loopback = host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && (loopback || allowedHosts.contains(host))) else {
            throw RunnelAWSError.invalidConfiguration(
                source: "container",
                reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback/container address, not \(host)")
        }
        return full
    }

    public init(
        endpoint: String, environment: [String: String], httpClient: HTTPClient, timeout: TimeAmount = .seconds(5),
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.endpoint = endpoint
        let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let fixedToken = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"].flatMap { $0.isEmpty ? nil : Secret($0) }
        self.cache = ExpiringCredentials(source: "container credentials \(endpoint)", logger: logger, now: now) {
            var request = HTTPClientRequest(url: endpoint)
            request.headers.add(name: "Accept", value: "application/json")
            var token = fixedToken
            if let tokenFile {
                guard let text = try await BlockingIO.readText(atPath: tokenFile) else {
                    throw RunnelAWSError.invalidConfiguration(
                        source: "container", reason: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile) does not exist")
                }
                token = Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            if let token {
                guard !token.reveal().contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw RunnelAWSError.invalidConfiguration(source: "container", reason: "the authorization token contains a line break")
                }
                request.headers.add(name: "Authorization", value: token.reveal())
            }
            let response = try await AWSHTTP.send(
                request, client: httpClient, source: "container credentials endpoint", endpoint: endpoint, timeout: timeout)
            guard response.status == 200 else {
                throw RunnelAWSError.httpStatus(
                    source: "container credentials endpoint", endpoint: endpoint, status: response.status,
                    body: String(response.body.prefix(200)))
            }
            return try CredentialsDocument.credentials(from: Data(response.body.utf8), source: "container credentials endpoint")
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public func invalidate() async { await cache.invalidate() }

    public var description: String { "container credentials \(endpoint)" }
}
