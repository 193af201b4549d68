import Logging
import RunnelSigV4
import Synchronization

/// Tries its providers in order; the first that gives credentials is kept for later calls
/// (as the AWS SDKs do). A provider that is not configured (`credentialsNotFound`) passes to
/// the next; one that is configured but fails stops the chain with its error, so a broken
/// profile is reported instead of silently replaced by the instance role.
public final class CredentialProviderChain: CredentialProvider, CustomStringConvertible {
    public let providers: [any CredentialProvider]
    private let chosen = Mutex<Int?>(nil)
    private let logger: Logger

    public init(_ providers: [any CredentialProvider], logger: Logger) {
        self.providers = providers
        self.logger = logger
    }

    public func credentials() async throws -> AWSCredentials {
        if let index = chosen.withLock({ $0 }) { return try await providers[index].credentials() }
        var tried: [String] = []
        for (index, provider) in providers.enumerated() {
            do {
                let credentials = try await provider.credentials()
                chosen.withLock { $0 = index }
                logger.info("AWS credentials found", metadata: ["aws.credentials.source": "\(Self.name(provider))"])
                return credentials
            } catch let error as RunnelAWSError where error.isNotFound {
                tried.append("\(error)")
            }
        }
        throw RunnelAWSError.noCredentialsInChain(tried: tried)
    }

    public func invalidate() async {
        for provider in providers { await provider.invalidate() }
    }

    /// The provider the chain settled on, if it has.
    public var chosenProvider: (any CredentialProvider)? {
        chosen.withLock { $0 }.map { providers[$0] }
    }

    public var description: String {
        "chain(" + providers.map { Self.name($0) }.joined(separator: ", ") + ")"
    }

    static func name(_ provider: any CredentialProvider) -> String {
        (provider as? any CustomStringConvertible)?.description ?? String(describing: type(of: provider))
    }
}
