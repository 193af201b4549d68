import Foundation
import RunnelAWS
import RunnelConfig
import RunnelCore
import Testing

@Suite struct ConfigurationTests {
    @Test func staticKeys() throws {
        let section = ConfigElement(
            "match", "logs.**",
            [
                "@type": "kinesis_streams", "aws_key_id": "AKIAKEY", "aws_sec_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY",
                "aws_ses_token": "SESSIONTOKEN-static-1234567890", "region": "eu-west-1",
            ])
        let configuration = try AWSCredentialsConfiguration(from: section)
        #expect(
            configuration.source
                == .staticKeys(
                    accessKeyID: "AKIAKEY", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"),
                    sessionToken: Secret("SESSIONTOKEN-static-1234567890")))
        #expect(configuration.region == "eu-west-1")
        Witness.record("\(configuration)")
        Witness.record(String(reflecting: configuration))
        Witness.assertNoLeaks()
    }

    @Test func nothingMeansTheDefaultChain() throws {
        #expect(try AWSCredentialsConfiguration(from: ConfigElement("match", "x", [:])).source == .defaultChain)
    }

    @Test func assumeRoleWithEveryParameterAndStaticSource() throws {
        let section = ConfigElement(
            "match", "x", ["aws_key_id": "AKIA", "aws_sec_key": "s"],
            children: [
                ConfigElement(
                    "assume_role_credentials", "",
                    [
                        "role_arn": "arn:aws:iam::1:role/r", "role_session_name": "sess", "policy": "{}", "duration_seconds": "1800",
                        "external_id": "ext", "sts_http_proxy": "http://proxy:3128", "sts_endpoint_url": "https://sts.example.com",
                        "sts_region": "eu-central-1",
                    ])
            ])
        guard case .assumeRole(let role, let source) = try AWSCredentialsConfiguration(from: section).source else {
            Issue.record("not an assume role source")
            return
        }
        #expect(role.roleARN == "arn:aws:iam::1:role/r")
        #expect(role.roleSessionName == "sess")
        #expect(role.durationSeconds == 1800)
        #expect(role.externalID == "ext")
        #expect(role.stsHTTPProxy?.host == "proxy")
        #expect(role.stsEndpointURL?.host == "sts.example.com")
        #expect(role.stsRegion == "eu-central-1")
        #expect(source == .staticKeys(accessKeyID: "AKIA", secretAccessKey: Secret("s"), sessionToken: nil))
        #expect(section.element(named: "assume_role_credentials")!.unusedParameters.isEmpty)
    }

    @Test func webIdentityInstanceProfileSharedProcess() throws {
        func source(_ child: ConfigElement) throws -> AWSCredentialsConfiguration.Source {
            try AWSCredentialsConfiguration(from: ConfigElement("match", "x", [:], children: [child])).source
        }
        guard
            case .webIdentity(let web) = try source(
                ConfigElement(
                    "web_identity_credentials", "",
                    [
                        "role_arn": "arn:r", "web_identity_token_file": "/var/run/token", "role_session_name": "s", "sts_region": "us-west-2",
                    ]))
        else { Issue.record("web identity"); return }
        #expect(web.tokenFile == "/var/run/token")
        #expect(web.stsRegion == "us-west-2")

        guard
            case .instanceProfile(let imds) = try source(
                ConfigElement(
                    "instance_profile_credentials", "",
                    [
                        "retries": "3", "ip_address": "127.0.0.1", "port": "8080", "http_open_timeout": "2s", "http_read_timeout": "0.5",
                    ]))
        else { Issue.record("instance profile"); return }
        #expect(imds.retries == 3)
        #expect(imds.port == 8080)
        #expect(imds.openTimeout == 2)

        #expect(
            try source(ConfigElement("shared_credentials", "", ["profile_name": "logs", "path": "/etc/aws/creds"]))
                == .sharedCredentials(profile: "logs", path: "/etc/aws/creds"))
        #expect(try source(ConfigElement("process_credentials", "", ["process": "helper --x"])) == .process(command: "helper --x"))
    }

    @Test func topLevelProfileAndCredentialsPath() throws {
        let section = ConfigElement("match", "x", ["profile": "p", "credentials_path": "/c"])
        #expect(try AWSCredentialsConfiguration(from: section).source == .sharedCredentials(profile: "p", path: "/c"))
    }

    @Test(arguments: [
        ConfigElement("match", "x", ["aws_key_id": "AKIA"]),
        ConfigElement("match", "x", ["aws_sec_key": "s"]),
        ConfigElement("match", "x", [:], children: [ConfigElement("assume_role_credentials", "", [:])]),
        ConfigElement("match", "x", [:], children: [ConfigElement("process_credentials", "", [:])]),
        ConfigElement(
            "match", "x", [:],
            children: [
                ConfigElement("assume_role_credentials", "", ["role_arn": "r", "duration_seconds": "60"])
            ]),
    ])
    func invalidConfigurations(section: ConfigElement) {
        #expect(throws: ConfigError.self) { try AWSCredentialsConfiguration(from: section) }
    }

    /// Several sources: the first in fluent-plugin-kinesis' order wins (kinesis_helper/client.rb
    /// setup_credentials: `case when @aws_key_id && @aws_sec_key ... when @assume_role_credentials
    /// ... when @web_identity_credentials ... when @instance_profile_credentials ... when
    /// @shared_credentials ... when @process_credentials`), and the others are named for a warning.
    @Test func severalSourcesFollowFluentPluginKinesisPrecedence() throws {
        let sharedAndProcess = try AWSCredentialsConfiguration(
            from: ConfigElement(
                "match", "x", [:],
                children: [
                    ConfigElement("process_credentials", "", ["process": "p"]), ConfigElement("shared_credentials", "", [:]),
                ]))
        #expect(sharedAndProcess.source == .sharedCredentials(profile: nil, path: nil))
        #expect(sharedAndProcess.ignoredSources == ["<process_credentials> (<shared_credentials> takes precedence)"])
        let roleAndProcess = try AWSCredentialsConfiguration(
            from: ConfigElement(
                "match", "x", [:],
                children: [
                    ConfigElement("process_credentials", "", ["process": "p"]), ConfigElement("assume_role_credentials", "", ["role_arn": "r"]),
                ]))
        guard case .assumeRole(let role, source: .defaultChain) = roleAndProcess.source else {
            Issue.record("assume_role should win, got \(roleAndProcess.source)")
            return
        }
        #expect(role.roleARN == "r")
        #expect(roleAndProcess.ignoredSources.count == 1)
        let keysAndShared = try AWSCredentialsConfiguration(
            from: ConfigElement("match", "x", ["aws_key_id": "A", "aws_sec_key": "s"], children: [ConfigElement("shared_credentials", "", [:])]))
        guard case .staticKeys(let keyID, _, _) = keysAndShared.source else {
            Issue.record("static keys should win, got \(keysAndShared.source)")
            return
        }
        #expect(keyID == "A" && keysAndShared.ignoredSources == ["<shared_credentials> (aws_key_id/aws_sec_key take precedence)"])
        let single = try AWSCredentialsConfiguration(from: ConfigElement("match", "x", [:], children: [ConfigElement("shared_credentials", "", [:])]))
        #expect(single.ignoredSources.isEmpty)
    }

    /// `duration_seconds` is `:time` in <web_identity_credentials> and `:integer` in
    /// <assume_role_credentials> (fluent-plugin-kinesis kinesis_helper/client.rb).
    @Test func webIdentityDurationIsATime() throws {
        let element = ConfigElement(
            "match", "x", [:],
            children: [
                ConfigElement("web_identity_credentials", "", ["role_arn": "r", "web_identity_token_file": "/t", "duration_seconds": "1h"])
            ])
        guard case .webIdentity(let settings) = try AWSCredentialsConfiguration(from: element).source else {
            Issue.record("expected web identity")
            return
        }
        #expect(settings.durationSeconds == 3600)
    }

    @Test func makeProviderFromConfiguration() async throws {
        let configuration = try AWSCredentialsConfiguration(
            from: ConfigElement(
                "match", "x",
                [
                    "aws_key_id": "AKIAKEY", "aws_sec_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY",
                ]))
        let provider = try makeCredentialProvider(
            configuration, httpClient: sharedHTTPClient, logger: Witness.logger, environment: [:])
        #expect(try await provider.credentials().accessKeyID == "AKIAKEY")
    }
}
