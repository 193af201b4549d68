import Foundation
import NIOCore
import RunnelAWS
import RunnelCore
import RunnelTestSupport
import Synchronization
import Testing

@Suite struct ContainerCredentialProviderTests {
    let clock = ManualClock()
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    func startEndpoint(expectedToken: @escaping @Sendable () -> String?, delay: Duration? = nil) async throws -> FakeHTTPServer {
        let clock = self.clock
        return try await FakeHTTPServer.start { request in
            if let token = expectedToken(), request.headers["authorization"] != token { return .init(401, #"{"message":"bad token"}"#) }
            guard request.uri == "/v2/credentials/pod" else { return .init(404) }
            return .init(
                200,
                """
                {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "CONTAINERSECRET-789", "Token": "CONTAINERTOKEN-xyz",
                 "Expiration": "\(iso8601(clock.date.addingTimeInterval(3600)))", "RoleArn": "arn:aws:iam::1:role/pod"}
                """, delay: delay)
        }
    }

    /// `timeout` is generous by default: a loaded CI machine must not turn a good answer into a timeout.
    func provider(_ environment: [String: String], timeout: TimeAmount = .seconds(20)) throws -> ContainerCredentialProvider {
        let endpoint = try #require(try ContainerCredentialProvider.endpoint(environment: environment))
        return ContainerCredentialProvider(
            endpoint: endpoint, environment: environment, httpClient: sharedHTTPClient, timeout: timeout,
            logger: Witness.logger, now: clock.dateFunction)
    }

    @Test func fullURIWithTokenFileReadOnEveryRefresh() async throws {
        let tokenFile = try directory.write("token", "CONTAINERAUTH-bearer-42\n")
        let expected = Mutex("CONTAINERAUTH-bearer-42")
        let server = try await startEndpoint(expectedToken: { expected.withLock { $0 } })
        let provider = try provider(
            isolatedEnvironment(
                directory,
                [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/v2/credentials/pod",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                ]))
        let credentials = try await witnessed { try await provider.credentials() }
        #expect(credentials.accessKeyID == "ASIACONTAINER")
        #expect(credentials.sessionToken?.reveal() == "CONTAINERTOKEN-xyz")

        // The agent rotates the token file; the next refresh sends the new token.
        try directory.write("token", "CONTAINERAUTH-bearer-43")
        expected.withLock { $0 = "CONTAINERAUTH-bearer-43" }
        clock.advance(by: .seconds(3400))
        _ = try await witnessed { try await provider.credentials() }
        #expect(server.requests.map { $0.headers["authorization"] } == ["CONTAINERAUTH-bearer-42", "CONTAINERAUTH-bearer-43"])
        await server.stop()
        Witness.assertNoLeaks()
    }

    @Test func fixedTokenFromEnvironment() async throws {
        let server = try await startEndpoint(expectedToken: { "CONTAINERAUTH-bearer-42" })
        let provider = try provider(
            isolatedEnvironment(
                directory,
                [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/v2/credentials/pod",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "CONTAINERAUTH-bearer-42",
                ]))
        #expect(try await witnessed { try await provider.credentials() }.secretAccessKey.reveal() == "CONTAINERSECRET-789")
        await server.stop()
    }

    @Test func wrongTokenIsAnHTTPError() async throws {
        let server = try await startEndpoint(expectedToken: { "CONTAINERAUTH-bearer-42" })
        let provider = try provider(
            isolatedEnvironment(
                directory,
                [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/v2/credentials/pod",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong",
                ]))
        let error = await caught { try await provider.credentials() }
        guard case .httpStatus(_, _, 401, _) = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        await server.stop()
    }

    @Test func slowEndpointTimesOut() async throws {
        let server = try await startEndpoint(expectedToken: { nil }, delay: .seconds(5))
        let provider = try provider(
            isolatedEnvironment(
                directory,
                [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/v2/credentials/pod"
                ]), timeout: .seconds(1))
        let error = await caught { try await provider.credentials() }
        guard case .timedOut = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        await server.stop()
    }

    @Test func relativeURIGoesToTheECSAddress() throws {
        let endpoint = try ContainerCredentialProvider.endpoint(environment: [
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/ignored",
        ])
        #expect(endpoint == "http://169.254.170.2/v2/credentials/abc")
    }

    @Test(arguments: [
        ("http://example.com/creds", false), ("https://example.com/creds", true), ("http://127.0.0.1:8080/x", true),
        ("http://169.254.170.23/v1/credentials", true), ("http://localhost/x", true), ("http://10.0.0.1/x", false),
    ])
    func fullURIHosts(uri: String, allowed: Bool) {
        let result = Result { try ContainerCredentialProvider.endpoint(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri]) }
        #expect(((try? result.get()) != nil) == allowed)
    }
}
