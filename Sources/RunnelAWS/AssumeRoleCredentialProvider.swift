import Foundation
import Logging
import RunnelSigV4

/// `<assume_role_credentials>` and profiles with `role_arn`: STS AssumeRole with credentials
/// from a source provider, refreshed ahead of expiry.
public struct AssumeRoleCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let parameters: STSClient.AssumeRoleParameters
    private let cache: ExpiringCredentials
    private let source: any CredentialProvider

    public init(
        parameters: STSClient.AssumeRoleParameters, source: any CredentialProvider, sts: STSClient, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.parameters = parameters
        self.source = source
        self.cache = ExpiringCredentials(source: "STS AssumeRole \(parameters.roleARN)", logger: logger, now: now) {
            let sourceCredentials = try await source.credentials()
            do {
                return try await sts.assumeRole(parameters, credentials: sourceCredentials)
            } catch let error as RunnelAWSError {
                // The source's temporary credentials may have expired at STS before we thought.
                if case .stsFailure(_, _, _, let code, _) = error, code == "ExpiredToken" { await source.invalidate() }
                throw error
            }
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public func invalidate() async { await cache.invalidate() }

    public var description: String { "STS AssumeRole \(parameters.roleARN)" }
}
