import RunnelCore
import RunnelSigV4

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (also the older
/// `AWS_ACCESS_KEY` / `AWS_SECRET_KEY` the Ruby SDK accepts), read from the environment given.
public struct EnvironmentCredentialProvider: CredentialProvider, CustomStringConvertible {
    private let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func credentials() async throws -> AWSCredentials {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        guard let keyID = value("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY") else {
            throw RunnelAWSError.credentialsNotFound(source: "environment", reason: "AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = value("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY") else {
            throw RunnelAWSError.invalidConfiguration(
                source: "environment", reason: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: Secret(secret),
            sessionToken: value("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN").map(Secret.init))
    }

    public func invalidate() async {}

    public var description: String { "environment" }
}
