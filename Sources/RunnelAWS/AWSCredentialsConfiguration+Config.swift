import Foundation
import RunnelConfig
import RunnelCore

/// Reads the credential settings of a fluent-plugin-kinesis `<match>` section.
///
/// | key / section | type | default | meaning (fluent-plugin-kinesis name) |
/// |---|---|---|---|
/// | `aws_key_id` | string | – | access key ID (with `aws_sec_key`) |
/// | `aws_sec_key` | secret | – | secret access key |
/// | `aws_ses_token` | secret | – | session token of temporary keys |
/// | `region` | string | – | the output's region; STS calls default to it |
/// | `process_timeout` | time | 60s | Runnel: how long a credential process may run |
/// | `<assume_role_credentials>` `role_arn` | string | required | role to assume |
/// | … `role_session_name` | string | `runnel-<time>` | session name |
/// | … `policy` | string | – | session policy JSON |
/// | … `duration_seconds` | integer | STS default (3600) | 900–43200 |
/// | … `external_id` | string | – | external ID the role's trust policy asks for |
/// | … `source_identity` | string | – | STS `SourceIdentity` of the session |
/// | … `sts_http_proxy` | URL | – | HTTP proxy for STS |
/// | … `sts_endpoint_url` | URL | regional endpoint | STS endpoint |
/// | … `sts_region` | string | `region`, else us-east-1 | STS region |
/// | `<web_identity_credentials>` `role_arn` | string | required | role to assume |
/// | … `web_identity_token_file` | path | required | OIDC token, read on every refresh |
/// | … `role_session_name`, `policy`, `sts_region`, `sts_endpoint_url` | | | as above |
/// | … `duration_seconds` | time (`3600`, `1h`) | STS default (3600) | 900–43200 s |
/// | `<instance_profile_credentials>` `retries` | integer | 1 | extra attempts |
/// | … `ip_address` | string | 169.254.169.254 | IMDS address |
/// | … `port` | integer | 80 | IMDS port |
/// | … `http_open_timeout` | time | 1s | connect timeout |
/// | … `http_read_timeout` | time | 1s | read timeout |
/// | `<shared_credentials>` `profile_name` (or `profile`) | string | `AWS_PROFILE`, else default | profile |
/// | … `path` (or `credentials_path`) | path | `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials | credentials file |
/// | `<process_credentials>` `process` | string | required | command, split into arguments, no shell |
///
/// Top-level `profile` and `credentials_path` are accepted too (Fluent Bit's names). With several
/// sources the first in fluent-plugin-kinesis' order wins (keys, then assume_role, web_identity,
/// instance_profile, shared, process) and the rest are listed in `ignoredSources` for a warning;
/// `aws_key_id` with `<assume_role_credentials>` makes the keys the source credentials of the role.
extension AWSCredentialsConfiguration {
    public init(from section: ConfigElement) throws {
        self.init(region: section.rawValue("region").flatMap { $0.isEmpty ? nil : $0 })
        processTimeout = try section.time("process_timeout", default: 60)

        var keys: Source?
        if let keyID = section.rawValue("aws_key_id"), !keyID.isEmpty {
            guard let secret = section.rawValue("aws_sec_key"), !secret.isEmpty else {
                throw section.rejected("aws_key_id", "aws_sec_key must be set with aws_key_id")
            }
            let token = section.rawValue("aws_ses_token").flatMap { $0.isEmpty ? nil : Secret($0) }
            keys = .staticKeys(accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: token)
        } else if section.rawValue("aws_sec_key") != nil {
            throw section.rejected("aws_sec_key", "aws_key_id must be set with aws_sec_key")
        }

        let sectionNames = [
            "assume_role_credentials", "web_identity_credentials", "instance_profile_credentials",
            "shared_credentials", "process_credentials",
        ]
        let present = sectionNames.filter { section.element(named: $0) != nil }
        // fluent-plugin-kinesis takes the first source in this order (kinesis_helper/client.rb,
        // setup_credentials: keys, then the sections in `sectionNames` order) and ignores the rest;
        // so does Runnel, saying so in `ignoredSources`. Keys with <assume_role_credentials> are
        // the role's source credentials, as before.
        if keys != nil, let other = present.first, other != "assume_role_credentials" {
            ignoredSources = present.map { "<\($0)> (aws_key_id/aws_sec_key take precedence)" }
            source = keys!
            return
        }
        ignoredSources = present.dropFirst().map { "<\($0)> (<\(present[0])> takes precedence)" }
        let topProfile = section.rawValue("profile")
        let topPath = section.rawValue("credentials_path")

        switch present.first {
        case "assume_role_credentials":
            source = .assumeRole(try Self.assumeRole(section.element(named: "assume_role_credentials")!), source: keys ?? .defaultChain)
        case "web_identity_credentials":
            source = .webIdentity(try Self.webIdentity(section.element(named: "web_identity_credentials")!))
        case "instance_profile_credentials":
            source = .instanceProfile(try Self.instanceProfile(section.element(named: "instance_profile_credentials")!))
        case "shared_credentials":
            let shared = section.element(named: "shared_credentials")!
            source = .sharedCredentials(
                profile: shared.rawValue("profile_name") ?? shared.rawValue("profile") ?? topProfile,
                path: shared.rawValue("path") ?? shared.rawValue("credentials_path") ?? topPath)
        case "process_credentials":
            let process = section.element(named: "process_credentials")!
            guard let command = process.rawValue("process"), !command.isEmpty else {
                throw ConfigError(.missingParameter, at: process.location, "<process_credentials>: parameter 'process' is required")
            }
            source = .process(command: command)
        default:
            if let keys {
                source = keys
            } else if topProfile != nil || topPath != nil {
                source = .sharedCredentials(profile: topProfile, path: topPath)
            } else {
                source = .defaultChain
            }
        }
    }

    static func required(_ element: ConfigElement, _ key: String) throws -> String {
        guard let value = element.rawValue(key), !value.isEmpty else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): parameter '\(key)' is required")
        }
        return value
    }

    static func url(_ element: ConfigElement, _ key: String) throws -> URL? {
        guard let raw = element.rawValue(key), !raw.isEmpty else { return nil }
        guard let url = URL(string: raw), url.scheme != nil, url.host != nil else {
            throw element.invalid(key, raw, expected: "a URL such as https://sts.us-east-1.amazonaws.com")
        }
        return url
    }

    /// `duration_seconds`: an integer for <assume_role_credentials>, a time (`1h`) for
    /// <web_identity_credentials>, as fluent-plugin-kinesis declares them.
    static func duration(_ element: ConfigElement, asTime: Bool = false) throws -> Int? {
        let value: Int?
        if asTime { value = try element.time("duration_seconds").map { Int($0) } } else { value = try element.integer("duration_seconds") }
        guard let seconds = value else { return nil }
        guard (900...43200).contains(seconds) else {
            throw element.rejected("duration_seconds", "must be between 900 and 43200 seconds, not \(seconds)")
        }
        return seconds
    }

    static func assumeRole(_ element: ConfigElement) throws -> AssumeRole {
        var settings = AssumeRole(roleARN: try required(element, "role_arn"))
        settings.roleSessionName = element.rawValue("role_session_name")
        settings.policy = element.rawValue("policy")
        settings.durationSeconds = try duration(element)
        settings.externalID = element.rawValue("external_id")
        settings.sourceIdentity = element.rawValue("source_identity")
        settings.stsHTTPProxy = try url(element, "sts_http_proxy")
        settings.stsEndpointURL = try url(element, "sts_endpoint_url")
        settings.stsRegion = element.rawValue("sts_region")
        return settings
    }

    static func webIdentity(_ element: ConfigElement) throws -> WebIdentity {
        var settings = WebIdentity(
            roleARN: try required(element, "role_arn"), tokenFile: try required(element, "web_identity_token_file"))
        settings.roleSessionName = element.rawValue("role_session_name")
        settings.policy = element.rawValue("policy")
        settings.durationSeconds = try duration(element, asTime: true)
        settings.stsEndpointURL = try url(element, "sts_endpoint_url")
        settings.stsRegion = element.rawValue("sts_region")
        return settings
    }

    static func instanceProfile(_ element: ConfigElement) throws -> InstanceMetadataCredentialProvider.Settings {
        var settings = InstanceMetadataCredentialProvider.Settings()
        settings.retries = max(0, try element.integer("retries", default: settings.retries))
        settings.ipAddress = element.rawValue("ip_address") ?? settings.ipAddress
        settings.port = try element.integer("port", default: settings.port)
        settings.openTimeout = try element.time("http_open_timeout", default: settings.openTimeout)
        settings.readTimeout = try element.time("http_read_timeout", default: settings.readTimeout)
        return settings
    }
}
