import Foundation
import RunnelAWS
import RunnelCore
import RunnelTestSupport
import Synchronization
import Testing

/// A fake instance metadata service: IMDSv2 tokens (optionally required), a role, credentials.
final class FakeIMDS: Sendable {
    struct Behaviour: Sendable {
        var tokenStatus = 200
        var requireToken = true
        var tokenDelay: Duration?
        var credentialsDelay: Duration?
        var role = "runnel-node-role"
        /// Tokens issued before this many PUTs are rejected with 401 (simulates a stale token).
        var rejectTokensBelow = 0
    }

    let behaviour: Mutex<Behaviour>
    private let issued = Mutex(0)
    let clock: ManualClock
    private let serverBox = Mutex<FakeHTTPServer?>(nil)
    var server: FakeHTTPServer { serverBox.withLock { $0! } }

    init(_ behaviour: Behaviour = Behaviour(), clock: ManualClock) {
        self.behaviour = Mutex(behaviour)
        self.clock = clock
    }

    static func start(_ behaviour: Behaviour = Behaviour(), clock: ManualClock) async throws -> FakeIMDS {
        let imds = FakeIMDS(behaviour, clock: clock)
        let server = try await FakeHTTPServer.start { [imds] request in imds.answer(request) }
        imds.serverBox.withLock { $0 = server }
        return imds
    }

    var settings: InstanceMetadataCredentialProvider.Settings {
        var settings = InstanceMetadataCredentialProvider.Settings()
        settings.ipAddress = "127.0.0.1"
        settings.port = server.port
        settings.openTimeout = 3  // below the 6 s delays of the slow cases, above a loaded machine's stalls
        settings.readTimeout = 3
        return settings
    }

    func answer(_ request: FakeHTTPServer.Request) -> FakeHTTPServer.Response {
        let behaviour = self.behaviour.withLock { $0 }
        if request.method == "PUT" && request.uri == "/latest/api/token" {
            guard request.headers["x-aws-ec2-metadata-token-ttl-seconds"] != nil else { return .init(400) }
            guard behaviour.tokenStatus == 200 else { return .init(behaviour.tokenStatus) }
            let n = issued.withLock {
                $0 += 1; return $0
            }
            return .init(200, "IMDS-SESSION-TOKEN-2222-\(n)", delay: behaviour.tokenDelay)
        }
        if let token = request.headers["x-aws-ec2-metadata-token"] {
            let n = Int(token.split(separator: "-").last ?? "") ?? 0
            guard token.hasPrefix("IMDS-SESSION-TOKEN-2222-"), n > behaviour.rejectTokensBelow else { return .init(401) }
        } else if behaviour.requireToken {
            return .init(401)
        }
        switch request.uri {
        case "/latest/meta-data/iam/security-credentials/":
            return behaviour.role.isEmpty ? .init(404) : .init(200, behaviour.role + "\n")
        case "/latest/meta-data/iam/security-credentials/" + behaviour.role:
            let body = """
                {"Code": "Success", "LastUpdated": "\(iso8601(clock.date))", "Type": "AWS-HMAC",
                 "AccessKeyId": "ASIAIMDS\(issued.withLock { $0 })", "SecretAccessKey": "IMDSSECRET-0000",
                 "Token": "IMDSTOKEN-1111", "Expiration": "\(iso8601(clock.date.addingTimeInterval(6 * 3600)))"}
                """
            return .init(200, body, delay: behaviour.credentialsDelay)
        default:
            return .init(404)
        }
    }
}

@Suite struct InstanceMetadataTests {
    let clock = ManualClock()

    func provider(_ imds: FakeIMDS, disableV1: Bool = false) -> InstanceMetadataCredentialProvider {
        var settings = imds.settings
        settings.disableV1 = disableV1
        return InstanceMetadataCredentialProvider(
            settings: settings, httpClient: sharedHTTPClient, logger: Witness.logger, now: clock.dateFunction)
    }

    @Test func imdsV2TokenFlow() async throws {
        let imds = try await FakeIMDS.start(clock: clock)
        let credentials = try await witnessed { try await provider(imds).credentials() }
        #expect(credentials.accessKeyID == "ASIAIMDS1")
        #expect(credentials.secretAccessKey.reveal() == "IMDSSECRET-0000")
        #expect(credentials.sessionToken?.reveal() == "IMDSTOKEN-1111")
        #expect(credentials.expiration == clock.date.addingTimeInterval(6 * 3600))
        let requests = imds.server.requests
        #expect(requests.map(\.method) == ["PUT", "GET", "GET"])
        #expect(requests.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] != nil })
        await imds.server.stop()
    }

    @Test func missingTokenIsRefusedWith401() async throws {
        let imds = try await FakeIMDS.start(clock: clock)
        let response = imds.answer(.init(method: "GET", uri: "/latest/meta-data/iam/security-credentials/", headers: [:], body: ""))
        #expect(response.status == 401)
        await imds.server.stop()
    }

    @Test(arguments: [403, 404, 405])
    func fallsBackToIMDSv1WhenTokenRefused(status: Int) async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.tokenStatus = status
        behaviour.requireToken = false
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let credentials = try await witnessed { try await provider(imds).credentials() }
        #expect(credentials.accessKeyID == "ASIAIMDS0")
        #expect(imds.server.requests.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == nil })
        await imds.server.stop()
    }

    @Test func noFallbackWhenV1Disabled() async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.tokenStatus = 403
        behaviour.requireToken = false
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let error = await caught { try await provider(imds, disableV1: true).credentials() }
        guard case .httpStatus(_, _, 403, _) = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        await imds.server.stop()
    }

    @Test func staleTokenIsReplacedOnce() async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.rejectTokensBelow = 1  // the first token is refused on GET
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let credentials = try await witnessed { try await provider(imds).credentials() }
        #expect(credentials.accessKeyID == "ASIAIMDS2")
        #expect(imds.server.requests.filter { $0.method == "PUT" }.count == 2)
        await imds.server.stop()
    }

    @Test func slowCredentialsTimeOut() async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.credentialsDelay = .seconds(6)
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let error = await caught { try await provider(imds).credentials() }
        guard case .timedOut = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect((error as? RunnelAWSError)?.isRetryable == true)
        await imds.server.stop()
    }

    @Test func slowTokenFallsBackToV1() async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.tokenDelay = .seconds(6)
        behaviour.requireToken = false
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let credentials = try await witnessed { try await provider(imds).credentials() }
        #expect(credentials.secretAccessKey.reveal() == "IMDSSECRET-0000")
        await imds.server.stop()
    }

    @Test func noRoleIsNotFound() async throws {
        var behaviour = FakeIMDS.Behaviour()
        behaviour.role = ""
        let imds = try await FakeIMDS.start(behaviour, clock: clock)
        let error = await caught { try await provider(imds).credentials() }
        #expect((error as? RunnelAWSError)?.isNotFound == true)
        await imds.server.stop()
    }

    @Test func nothingListeningIsNotFound() async throws {
        let imds = try await FakeIMDS.start(clock: clock)
        let provider = provider(imds)
        await imds.server.stop()
        let error = await caught { try await provider.credentials() }
        #expect((error as? RunnelAWSError)?.isNotFound == true)
        Witness.assertNoLeaks()
    }
}
