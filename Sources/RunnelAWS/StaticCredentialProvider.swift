import RunnelCore
import RunnelSigV4

/// Fixed keys: `aws_key_id`, `aws_sec_key` and `aws_ses_token` in the `<match>` section.
public struct StaticCredentialProvider: CredentialProvider, CustomStringConvertible {
    private let value: AWSCredentials

    public init(_ credentials: AWSCredentials) {
        self.value = credentials
    }

    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.value = AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    public func credentials() async throws -> AWSCredentials { value }
    public func invalidate() async {}

    public var description: String { "static keys" }
}
