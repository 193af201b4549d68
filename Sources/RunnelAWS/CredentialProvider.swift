import RunnelSigV4

/// A source of AWS credentials (static keys, environment, profile, STS, metadata services...).
///
/// Implementations cache what they fetched and refresh it ahead of expiry; concurrent callers
/// share one refresh.
public protocol CredentialProvider: Sendable {
    /// Current credentials, fetched or refreshed if needed.
    func credentials() async throws -> AWSCredentials
    /// Drops cached credentials, so the next `credentials()` fetches anew (after an
    /// `ExpiredTokenException` from a service).
    func invalidate() async
}
