import AsyncHTTPClient
import Foundation
import Logging
import RunnelCore

/// The credential provider for an output's configuration: the Kinesis output's entry point.
/// Nothing is fetched here; the first `credentials()` call does.
public func makeCredentialProvider(
    _ configuration: AWSCredentialsConfiguration, httpClient: HTTPClient, logger: Logger, environment: [String: String]
) throws -> any CredentialProvider {
    var context = CredentialProviderContext(
        httpClient: httpClient, logger: logger, environment: environment, region: configuration.region)
    context.processTimeout = .milliseconds(Int64(configuration.processTimeout * 1000))
    return try makeCredentialProvider(configuration.source, context: context)
}

/// The same, with every dependency (clock included) in `context`.
public func makeCredentialProvider(
    _ source: AWSCredentialsConfiguration.Source, context: CredentialProviderContext
) throws -> any CredentialProvider {
    switch source {
    case .staticKeys(let keyID, let secret, let token):
        return StaticCredentialProvider(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token)
    case .sharedCredentials(let profile, let path):
        return ProfileCredentialProvider(profile: profile, credentialsPath: path, context: context)
    case .process(let command):
        return try ProcessCredentialProvider(
            command: command, environment: context.environment, timeout: context.processTimeout, logger: context.logger,
            now: context.now)
    case .assumeRole(let settings, let sourceConfiguration):
        let parameters = STSClient.AssumeRoleParameters(
            roleARN: settings.roleARN, roleSessionName: settings.roleSessionName ?? context.sessionName(),
            policy: settings.policy, durationSeconds: settings.durationSeconds, externalID: settings.externalID,
            sourceIdentity: settings.sourceIdentity)
        return AssumeRoleCredentialProvider(
            parameters: parameters, source: try makeCredentialProvider(sourceConfiguration, context: context),
            sts: context.sts(region: settings.stsRegion, endpoint: settings.stsEndpointURL, proxy: settings.stsHTTPProxy),
            logger: context.logger, now: context.now)
    case .webIdentity(let settings):
        let parameters = STSClient.AssumeRoleParameters(
            roleARN: settings.roleARN, roleSessionName: settings.roleSessionName ?? context.sessionName(),
            policy: settings.policy, durationSeconds: settings.durationSeconds)
        return WebIdentityCredentialProvider(
            parameters: parameters, tokenFile: BlockingIO.expandHome(settings.tokenFile, environment: context.environment),
            sts: context.sts(region: settings.stsRegion, endpoint: settings.stsEndpointURL), logger: context.logger,
            now: context.now)
    case .instanceProfile(let settings):
        return InstanceMetadataCredentialProvider(
            settings: settings, httpClient: context.httpClient, logger: context.logger, now: context.now)
    case .defaultChain:
        return try defaultCredentialChain(context: context)
    }
}

/// The AWS SDKs' default chain: environment keys; web identity from `AWS_ROLE_ARN` +
/// `AWS_WEB_IDENTITY_TOKEN_FILE` (EKS IRSA); the shared files' profile (keys, role,
/// `credential_process`); container credentials (ECS, EKS Pod Identity); EC2 instance metadata.
public func defaultCredentialChain(context: CredentialProviderContext) throws -> CredentialProviderChain {
    var providers: [any CredentialProvider] = [EnvironmentCredentialProvider(environment: context.environment)]
    let environment = context.environment
    if let roleARN = environment["AWS_ROLE_ARN"], !roleARN.isEmpty,
        let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty
    {
        let parameters = STSClient.AssumeRoleParameters(
            roleARN: roleARN, roleSessionName: environment["AWS_ROLE_SESSION_NAME"] ?? context.sessionName())
        providers.append(
            WebIdentityCredentialProvider(
                parameters: parameters, tokenFile: tokenFile, sts: context.sts(), logger: context.logger, now: context.now))
    }
    providers.append(ProfileCredentialProvider(profile: nil, credentialsPath: nil, context: context))
    if let endpoint = try ContainerCredentialProvider.endpoint(environment: environment) {
        providers.append(
            ContainerCredentialProvider(
                endpoint: endpoint, environment: environment, httpClient: context.httpClient, logger: context.logger,
                now: context.now))
    }
    if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true" {
        providers.append(
            InstanceMetadataCredentialProvider(
                settings: context.instanceMetadata, httpClient: context.httpClient, logger: context.logger, now: context.now))
    }
    return CredentialProviderChain(providers, logger: context.logger)
}
