import Foundation
import Logging
import RunnelCore
import RunnelSigV4

/// `<web_identity_credentials>` and EKS IRSA (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`):
/// STS AssumeRoleWithWebIdentity, unsigned, with the token file read again on every refresh
/// (the kubelet rotates it).
public struct WebIdentityCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let parameters: STSClient.AssumeRoleParameters
    public let tokenFile: String
    private let cache: ExpiringCredentials

    public init(
        parameters: STSClient.AssumeRoleParameters, tokenFile: String, sts: STSClient, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.parameters = parameters
        self.tokenFile = tokenFile
        self.cache = ExpiringCredentials(
            source: "STS AssumeRoleWithWebIdentity \(parameters.roleARN)", logger: logger, now: now
        ) {
            guard let text = try await BlockingIO.readText(atPath: tokenFile) else {
                throw RunnelAWSError.invalidConfiguration(
                    source: "web identity", reason: "web_identity_token_file \(tokenFile) does not exist")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else {
                throw RunnelAWSError.invalidConfiguration(source: "web identity", reason: "web_identity_token_file \(tokenFile) is empty")
            }
            return try await sts.assumeRoleWithWebIdentity(parameters, token: Secret(token))
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public func invalidate() async { await cache.invalidate() }

    public var description: String { "STS AssumeRoleWithWebIdentity \(parameters.roleARN)" }
}
