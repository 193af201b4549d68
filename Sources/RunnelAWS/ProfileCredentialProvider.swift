import Foundation
import Logging
import RunnelCore
import RunnelSigV4

/// A profile of `~/.aws/credentials` and `~/.aws/config` (`<shared_credentials>`, `AWS_PROFILE`):
/// static keys, `role_arn` with `source_profile` / `credential_source` / `web_identity_token_file`,
/// or `credential_process`. The files are read on first use; the profile's provider is kept.
public actor ProfileCredentialProvider: CredentialProvider, CustomStringConvertible {
    public nonisolated let profileName: String
    /// Whether the profile was asked for by name (a missing one is then an error, not a pass).
    public nonisolated let explicit: Bool
    private let credentialsPath: String?
    private let context: CredentialProviderContext
    private var resolved: (any CredentialProvider)?

    public init(profile: String?, credentialsPath: String?, context: CredentialProviderContext) {
        let named = profile ?? context.environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        self.profileName = named ?? "default"
        self.explicit = named != nil || credentialsPath != nil
        self.credentialsPath = credentialsPath
        self.context = context
    }

    public func credentials() async throws -> AWSCredentials {
        if let resolved { return try await resolved.credentials() }
        let files = try await SharedConfigFiles.load(credentialsPath: credentialsPath, environment: context.environment)
        let provider = try resolve(profileName, files: files, visited: [])
        resolved = provider
        return try await provider.credentials()
    }

    public func invalidate() async {
        await resolved?.invalidate()
    }

    public nonisolated var description: String { "profile \(profileName)" }

    /// The provider a profile stands for, following `source_profile` links.
    func resolve(_ name: String, files: SharedConfigFiles, visited: [String]) throws -> any CredentialProvider {
        guard let profile = files.profile(name) else {
            if visited.isEmpty && !explicit {
                throw RunnelAWSError.credentialsNotFound(
                    source: "shared credentials files", reason: "no profile '\(name)' in \(files.credentialsPath) or \(files.configPath)")
            }
            throw RunnelAWSError.profileNotFound(profile: name, files: [files.credentialsPath, files.configPath])
        }
        if visited.contains(name) { throw RunnelAWSError.profileCycle(profiles: visited + [name]) }

        if let roleARN = profile["role_arn"], !roleARN.isEmpty {
            var parameters = STSClient.AssumeRoleParameters(
                roleARN: roleARN, roleSessionName: profile["role_session_name"] ?? context.sessionName())
            parameters.externalID = profile["external_id"]
            parameters.durationSeconds = profile["duration_seconds"].flatMap { Int($0) }
            let sts = context.sts(region: profile["region"])
            if let tokenFile = profile["web_identity_token_file"] {
                return WebIdentityCredentialProvider(
                    parameters: parameters, tokenFile: BlockingIO.expandHome(tokenFile, environment: context.environment),
                    sts: sts, logger: context.logger, now: context.now)
            }
            let source: any CredentialProvider
            if let sourceProfile = profile["source_profile"] {
                if sourceProfile == name {
                    // A profile that is its own source uses its own keys (AWS CLI rule).
                    source = try staticKeys(profile, name: name)
                } else {
                    source = try resolve(sourceProfile, files: files, visited: visited + [name])
                }
            } else if let credentialSource = profile["credential_source"] {
                source = try self.credentialSource(credentialSource, profile: name)
            } else {
                throw RunnelAWSError.invalidConfiguration(
                    source: "profile \(name)", reason: "role_arn needs source_profile, credential_source or web_identity_token_file")
            }
            return AssumeRoleCredentialProvider(
                parameters: parameters, source: source, sts: sts, logger: context.logger, now: context.now)
        }
        if profile["aws_access_key_id"] != nil {
            return try staticKeys(profile, name: name)
        }
        if let command = profile["credential_process"], !command.isEmpty {
            return try ProcessCredentialProvider(
                command: command, environment: context.environment, timeout: context.processTimeout,
                logger: context.logger, now: context.now)
        }
        if visited.isEmpty && !explicit {
            throw RunnelAWSError.credentialsNotFound(source: "profile \(name)", reason: "the profile has no credentials")
        }
        throw RunnelAWSError.invalidConfiguration(
            source: "profile \(name)", reason: "no aws_access_key_id, role_arn or credential_process in the profile")
    }

    private func staticKeys(_ profile: [String: String], name: String) throws -> StaticCredentialProvider {
        guard let keyID = profile["aws_access_key_id"], !keyID.isEmpty,
            let secret = profile["aws_secret_access_key"], !secret.isEmpty
        else {
            throw RunnelAWSError.invalidConfiguration(
                source: "profile \(name)", reason: "aws_access_key_id and aws_secret_access_key must both be set")
        }
        return StaticCredentialProvider(
            accessKeyID: keyID, secretAccessKey: Secret(secret),
            sessionToken: profile["aws_session_token"].flatMap { $0.isEmpty ? nil : Secret($0) })
    }

    private func credentialSource(_ value: String, profile: String) throws -> any CredentialProvider {
        switch value {
        case "Environment":
            return EnvironmentCredentialProvider(environment: context.environment)
        case "Ec2InstanceMetadata":
            return InstanceMetadataCredentialProvider(
                settings: context.instanceMetadata, httpClient: context.httpClient, logger: context.logger, now: context.now)
        case "EcsContainer":
            guard let endpoint = try ContainerCredentialProvider.endpoint(environment: context.environment) else {
                throw RunnelAWSError.invalidConfiguration(
                    source: "profile \(profile)", reason: "credential_source EcsContainer but no AWS_CONTAINER_CREDENTIALS_* variable")
            }
            return ContainerCredentialProvider(
                endpoint: endpoint, environment: context.environment, httpClient: context.httpClient,
                logger: context.logger, now: context.now)
        default:
            throw RunnelAWSError.invalidConfiguration(
                source: "profile \(profile)",
                reason: "credential_source '\(value)' is not one of Environment, Ec2InstanceMetadata, EcsContainer")
        }
    }
}
