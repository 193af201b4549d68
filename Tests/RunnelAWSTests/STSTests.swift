import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelAWS
import RunnelCore
import RunnelSigV4
import RunnelTestSupport
import Synchronization
import Testing

/// The identity STS sees for `credentials`: proves moto issued them.
func callerIdentityARN(_ credentials: AWSCredentials, endpoint: URL) async throws -> String? {
    let body = Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)
    let host = SigV4Signer.hostHeader(host: endpoint.host!, port: endpoint.port, scheme: endpoint.scheme!)
    let signature = SigV4Signer(service: "sts", region: "us-east-1").sign(
        .init(method: "POST", host: host, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body),
        credentials: credentials, date: Date())
    var request = HTTPClientRequest(url: endpoint.absoluteString + "/")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
    for header in signature.headers { request.headers.add(name: header.name, value: header.value) }
    request.body = .bytes(ByteBuffer(bytes: body))
    let response = try await sharedHTTPClient.execute(request, timeout: .seconds(10))
    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
    guard let open = text.range(of: "<Arn>"), let close = text.range(of: "</Arn>") else { return nil }
    return String(text[open.upperBound..<close.lowerBound])
}

@Suite(.serialized, .enabled(if: MotoServer.isAvailable, "python3 with moto (pip install 'moto[server]') is needed for the STS tests"))
struct MotoSTSTests {
    let directory: TemporaryDirectory
    let clock = ManualClock(wallOrigin: Date())

    init() throws { directory = try TemporaryDirectory() }

    @Test func assumeRoleReturnsWhatMotoIssued() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let source = CountingProvider(
            StaticCredentialProvider(
                accessKeyID: "AKIASOURCE", secretAccessKey: Secret("SOURCE-SECRET-5555"), sessionToken: Secret("SESSIONTOKEN-static-1234567890")))
        let sts = STSClient(region: "eu-west-1", endpoint: moto.endpointURL, httpClient: sharedHTTPClient, now: clock.dateFunction)
        let parameters = STSClient.AssumeRoleParameters(
            roleARN: "arn:aws:iam::123456789012:role/kinesis-writer", roleSessionName: "runnel-test",
            policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}"#,
            durationSeconds: 900, externalID: "ext-42")
        let provider = AssumeRoleCredentialProvider(
            parameters: parameters, source: source, sts: sts, logger: Witness.logger, now: clock.dateFunction)
        let credentials = try await witnessed { try await provider.credentials() }

        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        let expiration = try #require(credentials.expiration)
        #expect(abs(expiration.timeIntervalSinceNow - 900) < 120)
        let arn = try await callerIdentityARN(credentials, endpoint: moto.endpointURL)
        #expect(arn == "arn:aws:sts::123456789012:assumed-role/kinesis-writer/runnel-test")
        // Cached: the same credentials until the refresh window.
        #expect(try await provider.credentials() == credentials)
        #expect(source.calls == 1)
        clock.advance(by: .seconds(700))  // inside the 5-minute window of moto's 900-second credentials
        let refreshed = try await witnessed { try await provider.credentials() }
        #expect(source.calls == 2)
        #expect(refreshed.accessKeyID.hasPrefix("ASIA"))
        Witness.assertNoLeaks(extra: [credentials.secretAccessKey.reveal(), credentials.sessionToken?.reveal() ?? ""])
    }

    @Test func webIdentityReturnsWhatMotoIssued() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let tokenFile = try directory.write("token", "WEBIDENTITY-jwt-eyJhbGciOi.payload.signature\n")
        var configuration = AWSCredentialsConfiguration.WebIdentity(
            roleARN: "arn:aws:iam::123456789012:role/irsa-role", tokenFile: tokenFile)
        configuration.roleSessionName = "pod-session"
        configuration.stsEndpointURL = moto.endpointURL
        let context = CredentialProviderContext(
            httpClient: sharedHTTPClient, logger: Witness.logger, environment: isolatedEnvironment(directory), now: clock.dateFunction)
        let provider = try makeCredentialProvider(.webIdentity(configuration), context: context)
        let credentials = try await witnessed { try await provider.credentials() }
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken != nil)
        let arn = try await callerIdentityARN(credentials, endpoint: moto.endpointURL)
        #expect(arn?.hasPrefix("arn:aws:sts::123456789012:assumed-role/irsa-role/") == true)
        Witness.assertNoLeaks(extra: [credentials.secretAccessKey.reveal(), credentials.sessionToken?.reveal() ?? ""])
    }

    @Test func profileRoleWithSourceProfileGoesThroughMoto() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        try directory.write(
            ".aws/credentials",
            """
            [base]
            aws_access_key_id = AKIABASE
            aws_secret_access_key = PROFILESECRET-qwerty
            """)
        try directory.write(
            ".aws/config",
            """
            [profile writer]
            role_arn = arn:aws:iam::123456789012:role/writer
            source_profile = base
            role_session_name = from-profile
            region = ap-southeast-2
            """)
        let context = CredentialProviderContext(
            httpClient: sharedHTTPClient, logger: Witness.logger,
            environment: isolatedEnvironment(directory, ["AWS_PROFILE": "writer", "AWS_ENDPOINT_URL_STS": moto.endpoint]),
            now: clock.dateFunction)
        let provider = try makeCredentialProvider(.defaultChain, context: context)
        let credentials = try await witnessed { try await provider.credentials() }
        let arn = try await callerIdentityARN(credentials, endpoint: moto.endpointURL)
        #expect(arn == "arn:aws:sts::123456789012:assumed-role/writer/from-profile")
        Witness.assertNoLeaks(extra: [credentials.secretAccessKey.reveal(), credentials.sessionToken?.reveal() ?? ""])
    }
}

/// A scripted STS on loopback, for what moto cannot show: the request itself, and AWS errors.
@Suite struct ScriptedSTSTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()

    init() throws { directory = try TemporaryDirectory() }

    static func credentialsXML(_ action: String, keyID: String, expiration: Date) -> String {
        """
        <\(action)Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><\(action)Result><Credentials>
        <AccessKeyId>\(keyID)</AccessKeyId><SecretAccessKey>FAKESTS-SECRET-3333</SecretAccessKey>
        <SessionToken>FAKESTS-TOKEN-4444</SessionToken><Expiration>\(iso8601(expiration))</Expiration>
        </Credentials></\(action)Result></\(action)Response>
        """
    }

    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    @Test func webIdentityRereadsTheTokenFileAndIsUnsigned() async throws {
        let clock = self.clock
        let server = try await FakeHTTPServer.start { request in
            .init(200, Self.credentialsXML("AssumeRoleWithWebIdentity", keyID: "ASIAWEB", expiration: clock.date.addingTimeInterval(3600)))
        }
        let tokenFile = try directory.write("token", "WEBIDENTITY-jwt-eyJhbGciOi.first")
        let provider = WebIdentityCredentialProvider(
            parameters: .init(roleARN: "arn:aws:iam::1:role/r", roleSessionName: "s", durationSeconds: 3600),
            tokenFile: tokenFile,
            sts: STSClient(region: "us-west-2", endpoint: URL(string: server.baseURL)!, httpClient: sharedHTTPClient),
            logger: Witness.logger, now: clock.dateFunction)
        _ = try await witnessed { try await provider.credentials() }
        try directory.write("token", "WEBIDENTITY-jwt-eyJhbGciOi.second")
        clock.advance(by: .seconds(3400))
        _ = try await witnessed { try await provider.credentials() }
        let forms = server.requests.map { Self.form($0.body) }
        #expect(forms.map { $0["WebIdentityToken"] } == ["WEBIDENTITY-jwt-eyJhbGciOi.first", "WEBIDENTITY-jwt-eyJhbGciOi.second"])
        #expect(forms.first?["Action"] == "AssumeRoleWithWebIdentity")
        #expect(forms.first?["DurationSeconds"] == "3600")
        #expect(server.requests.allSatisfy { $0.headers["authorization"] == nil })
        await server.stop()
        Witness.assertNoLeaks()
    }

    @Test func assumeRoleIsSignedWithTheSourceSessionToken() async throws {
        let clock = self.clock
        let server = try await FakeHTTPServer.start { request in
            .init(200, Self.credentialsXML("AssumeRole", keyID: "ASIAROLE", expiration: clock.date.addingTimeInterval(3600)))
        }
        let source = StaticCredentialProvider(
            accessKeyID: "AKIASOURCE", secretAccessKey: Secret("SOURCE-SECRET-5555"), sessionToken: Secret("SESSIONTOKEN-static-1234567890"))
        let provider = AssumeRoleCredentialProvider(
            parameters: .init(roleARN: "arn:aws:iam::1:role/r", roleSessionName: "s", externalID: "ext"),
            source: source,
            sts: STSClient(region: "eu-north-1", endpoint: URL(string: server.baseURL)!, httpClient: sharedHTTPClient, now: clock.dateFunction),
            logger: Witness.logger, now: clock.dateFunction)
        #expect(try await witnessed { try await provider.credentials() }.accessKeyID == "ASIAROLE")
        let request = try #require(server.requests.first)
        let authorization = try #require(request.headers["authorization"])
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIASOURCE/"))
        #expect(authorization.contains("/eu-north-1/sts/aws4_request"))
        #expect(request.headers["x-amz-security-token"] == "SESSIONTOKEN-static-1234567890")
        #expect(Self.form(request.body)["ExternalId"] == "ext")
        await server.stop()
    }

    @Test func accessDeniedCarriesCodeMessageAndRole() async throws {
        let server = try await FakeHTTPServer.start { _ in
            .init(
                403,
                """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
                <Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole</Message>
                </Error><RequestId>abc</RequestId></ErrorResponse>
                """)
        }
        let provider = AssumeRoleCredentialProvider(
            parameters: .init(roleARN: "arn:aws:iam::1:role/denied", roleSessionName: "s"),
            source: StaticCredentialProvider(accessKeyID: "AKIASOURCE", secretAccessKey: Secret("SOURCE-SECRET-5555")),
            sts: STSClient(region: "us-east-1", endpoint: URL(string: server.baseURL)!, httpClient: sharedHTTPClient),
            logger: Witness.logger, now: clock.dateFunction)
        let error = try #require(await caught { try await provider.credentials() } as? RunnelAWSError)
        #expect(
            error.description.hasPrefix(
                "STS AssumeRole for arn:aws:iam::1:role/denied failed (AccessDenied, HTTP 403): User: arn:aws:iam::1:user/u is not authorized"))
        #expect(!error.isRetryable)
        await server.stop()
        Witness.assertNoLeaks()
    }

    @Test func throttlingIsRetryable() {
        #expect(RunnelAWSError.stsFailure(operation: "AssumeRole", roleARN: "r", status: 400, code: "Throttling", message: "").isRetryable)
    }
}

/// Counts how often a chained provider is asked (each STS call asks its source once).
final class CountingProvider: CredentialProvider {
    private let inner: any CredentialProvider
    private let count = Mutex(0)
    init(_ inner: any CredentialProvider) { self.inner = inner }
    var calls: Int { count.withLock { $0 } }
    func credentials() async throws -> AWSCredentials {
        count.withLock { $0 += 1 }
        return try await inner.credentials()
    }
    func invalidate() async { await inner.invalidate() }
}
