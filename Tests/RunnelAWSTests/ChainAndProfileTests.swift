import Foundation
@testable import RunnelAWS
import RunnelCore
import RunnelTestSupport
import Testing

@Suite struct ChainAndProfileTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()

    init() throws { directory = try TemporaryDirectory() }

    func context(_ environment: [String: String]) -> CredentialProviderContext {
        CredentialProviderContext(
            httpClient: sharedHTTPClient, logger: Witness.logger, environment: isolatedEnvironment(directory, environment),
            now: clock.dateFunction)
    }

    func writeDefaultProfile() throws {
        try directory.write(
            ".aws/credentials",
            """
            # comment
            [default]
            aws_access_key_id = AKIAPROFILE
            aws_secret_access_key = PROFILESECRET-qwerty ; inline comment
            aws_session_token=PROFILETOKEN-asdfgh
            """)
    }

    @Test func environmentComesFirst() async throws {
        try writeDefaultProfile()
        let chain = try defaultCredentialChain(
            context: context([
                "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET-abcdef0123456789", "AWS_SESSION_TOKEN": "ENVTOKEN-zyxwvu987654",
            ]))
        let credentials = try await witnessed { try await chain.credentials() }
        #expect(credentials.accessKeyID == "AKIAENV")
        #expect(credentials.sessionToken?.reveal() == "ENVTOKEN-zyxwvu987654")
        #expect(chain.chosenProvider is EnvironmentCredentialProvider)
    }

    @Test func thenTheDefaultProfile() async throws {
        try writeDefaultProfile()
        let chain = try defaultCredentialChain(context: context([:]))
        let credentials = try await witnessed { try await chain.credentials() }
        #expect(credentials.accessKeyID == "AKIAPROFILE")
        #expect(credentials.secretAccessKey.reveal() == "PROFILESECRET-qwerty")
        #expect(credentials.sessionToken?.reveal() == "PROFILETOKEN-asdfgh")
    }

    @Test func thenContainerThenInstanceMetadata() async throws {
        let imds = try await FakeIMDS.start(clock: clock)
        let imdsEnvironment = [
            "AWS_EC2_METADATA_DISABLED": "false",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.server.baseURL,
        ]
        let chain = try defaultCredentialChain(context: context(imdsEnvironment))
        #expect(try await witnessed { try await chain.credentials() }.secretAccessKey.reveal() == "IMDSSECRET-0000")

        let container = try await FakeHTTPServer.start { _ in
            .init(200, #"{"AccessKeyId":"ASIAC","SecretAccessKey":"CONTAINERSECRET-789","Token":"CONTAINERTOKEN-xyz","Expiration":"2099-01-01T00:00:00Z"}"#)
        }
        var withContainer = imdsEnvironment
        withContainer["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.baseURL + "/creds"
        let chain2 = try defaultCredentialChain(context: context(withContainer))
        #expect(try await witnessed { try await chain2.credentials() }.accessKeyID == "ASIAC")
        #expect(chain2.chosenProvider is ContainerCredentialProvider)
        await container.stop()
        await imds.server.stop()
    }

    @Test func webIdentityFromEnvironmentComesBeforeProfiles() throws {
        try writeDefaultProfile()
        let chain = try defaultCredentialChain(
            context: context([
                "AWS_ROLE_ARN": "arn:aws:iam::1:role/irsa", "AWS_WEB_IDENTITY_TOKEN_FILE": directory.path + "/token",
            ]))
        #expect(
            chain.providers.map { String(describing: type(of: $0)) } == [
                "EnvironmentCredentialProvider", "WebIdentityCredentialProvider", "ProfileCredentialProvider",
            ])
    }

    @Test func nothingAnywhereListsWhatWasTried() async throws {
        let chain = try defaultCredentialChain(context: context([:]))
        let error = try #require(await caught { try await chain.credentials() } as? RunnelAWSError)
        guard case .noCredentialsInChain(let tried) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(tried.count == 2)
        #expect(error.description.contains("AWS_ACCESS_KEY_ID"))
    }

    @Test func brokenProfileStopsTheChain() async throws {
        try directory.write(".aws/credentials", "[default]\naws_access_key_id = AKIAHALF\n")
        let chain = try defaultCredentialChain(context: context([:]))
        let error = try #require(await caught { try await chain.credentials() } as? RunnelAWSError)
        guard case .invalidConfiguration = error else {
            Issue.record("unexpected \(error)")
            return
        }
    }

    @Test func namedProfileMustExist() async throws {
        try writeDefaultProfile()
        let provider = ProfileCredentialProvider(profile: "missing", credentialsPath: nil, context: context([:]))
        let error = await caught { try await provider.credentials() }
        guard case .profileNotFound(let profile, _) = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(profile == "missing")
    }

    @Test func credentialsPathAndProfileName() async throws {
        let path = try directory.write("elsewhere/creds", "[logs]\naws_access_key_id=AKIALOGS\naws_secret_access_key=PROFILESECRET-qwerty\n")
        let provider = ProfileCredentialProvider(profile: "logs", credentialsPath: path, context: context([:]))
        #expect(try await witnessed { try await provider.credentials() }.accessKeyID == "AKIALOGS")
    }

    @Test func sourceProfileCycleIsReported() async throws {
        try directory.write(
            ".aws/config",
            """
            [profile a]
            role_arn = arn:aws:iam::1:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::1:role/b
            source_profile = a
            """)
        let provider = ProfileCredentialProvider(profile: "a", credentialsPath: nil, context: context([:]))
        let error = await caught { try await provider.credentials() }
        guard case .profileCycle(let profiles) = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(profiles == ["a", "b", "a"])
    }

    @Test func credentialProcessInProfile() async throws {
        let script = try directory.write(
            "helper.sh",
            """
            #!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "AKIAHELPER", "SecretAccessKey": "PROCESSSECRET-123abc"}'
            """, executable: true)
        try directory.write(".aws/config", "[profile tools]\ncredential_process = \(script) --profile tools\n")
        let provider = ProfileCredentialProvider(profile: "tools", credentialsPath: nil, context: context([:]))
        #expect(try await witnessed { try await provider.credentials() }.accessKeyID == "AKIAHELPER")
    }

    @Test func configFileParsing() {
        let profiles = SharedConfigFiles.parse(
            """
            [default]
            region = eu-west-1
            [profile dev]
            region=us-east-2
            s3 =
              max_concurrent_requests = 20
            [sso-session corp]
            sso_region = us-east-1
            [services x]
            """, configFile: true)
        #expect(profiles["default"]?["region"] == "eu-west-1")
        #expect(profiles["dev"]?["region"] == "us-east-2")
        #expect(profiles["corp"] == nil)
        #expect(profiles.count == 2)
    }

    @Test func regionResolution() async throws {
        try directory.write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n")
        let environment = isolatedEnvironment(directory)
        #expect(try await AWSRegionResolver.resolve(parameter: "ap-south-1", environment: environment) == "ap-south-1")
        #expect(
            try await AWSRegionResolver.resolve(
                parameter: nil, environment: environment.merging(["AWS_REGION": "ca-central-1", "AWS_DEFAULT_REGION": "x"]) { $1 }) == "ca-central-1")
        #expect(
            try await AWSRegionResolver.resolve(parameter: nil, environment: environment.merging(["AWS_DEFAULT_REGION": "sa-east-1"]) { $1 }) == "sa-east-1")
        #expect(try await AWSRegionResolver.resolve(parameter: nil, environment: environment) == "eu-west-1")
        #expect(try await AWSRegionResolver.resolve(parameter: nil, environment: environment, profile: "dev") == "us-east-2")
    }

    @Test(arguments: [
        ("helper --a b", ["helper", "--a", "b"]),
        (#"'/opt/my tools/helper' "quoted \"arg\"" plain\ space"#, ["/opt/my tools/helper", #"quoted "arg""#, "plain space"]),
        ("  spaced   out  ", ["spaced", "out"]),
        (#"a"b"'c'"#, ["abc"]),
        ("''", [""]),
    ])
    func commandSplitting(line: String, expected: [String]) throws {
        #expect(try CommandLineSplitter.split(line) == expected)
    }
}
