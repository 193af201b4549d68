import Foundation
import RunnelCore

/// Where an output's AWS credentials come from, as fluent-plugin-kinesis configures them.
/// Read from the `<match>` section by `AWSCredentialsConfiguration(from:)`.
public struct AWSCredentialsConfiguration: Sendable, Equatable {
    /// The credential source: one choice, as fluent-plugin-kinesis takes only one.
    public indirect enum Source: Sendable, Equatable {
        /// `aws_key_id`, `aws_sec_key`, `aws_ses_token`.
        case staticKeys(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret?)
        /// `<shared_credentials>`: a profile of `~/.aws/credentials` / `~/.aws/config`.
        case sharedCredentials(profile: String?, path: String?)
        /// `<process_credentials>`: a command printing credentials JSON.
        case process(command: String)
        /// `<assume_role_credentials>`; the source credentials are the static keys if given, else the default chain.
        case assumeRole(AssumeRole, source: Source)
        /// `<web_identity_credentials>`.
        case webIdentity(WebIdentity)
        /// `<instance_profile_credentials>`: EC2 instance metadata only.
        case instanceProfile(InstanceMetadataCredentialProvider.Settings)
        /// Nothing configured: the AWS SDKs' default chain.
        case defaultChain
    }

    /// `<assume_role_credentials>` parameters.
    public struct AssumeRole: Sendable, Equatable {
        public var roleARN: String
        public var roleSessionName: String?
        public var policy: String?
        public var durationSeconds: Int?
        public var externalID: String?
        public var sourceIdentity: String?
        public var stsHTTPProxy: URL?
        public var stsEndpointURL: URL?
        public var stsRegion: String?

        public init(roleARN: String) { self.roleARN = roleARN }
    }

    /// `<web_identity_credentials>` parameters.
    public struct WebIdentity: Sendable, Equatable {
        public var roleARN: String
        public var tokenFile: String
        public var roleSessionName: String?
        public var policy: String?
        public var durationSeconds: Int?
        public var stsEndpointURL: URL?
        public var stsRegion: String?

        public init(roleARN: String, tokenFile: String) {
            self.roleARN = roleARN
            self.tokenFile = tokenFile
        }
    }

    public var source: Source
    /// Credential sources that were configured but lose to another by fluent-plugin-kinesis'
    /// precedence; the output warns about each.
    public var ignoredSources: [String] = []
    /// The output's `region` parameter, if written (STS calls default to it).
    public var region: String?
    /// How long a credential process may run (`process_timeout`, Runnel's addition).
    public var processTimeout: Double = 60

    public init(source: Source = .defaultChain, region: String? = nil) {
        self.source = source
        self.region = region
    }
}
