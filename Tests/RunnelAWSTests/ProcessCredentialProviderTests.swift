import Foundation
import RunnelAWS
import RunnelCore
import RunnelTestSupport
import Testing

@Suite struct ProcessCredentialProviderTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()

    init() throws { directory = try TemporaryDirectory() }

    func provider(_ command: String, timeout: Duration = .seconds(10)) throws -> ProcessCredentialProvider {
        try ProcessCredentialProvider(
            command: command, environment: isolatedEnvironment(directory), timeout: timeout, logger: Witness.logger,
            now: clock.dateFunction)
    }

    func script(_ name: String, _ body: String) throws -> String {
        try directory.write(name, "#!/bin/sh\n" + body + "\n", executable: true)
    }

    @Test func successWithArgumentsAndNoShell() async throws {
        let expiry = clock.date.addingTimeInterval(3600)
        // The argument with a space and a `$` reaches the script as one literal argument.
        let path = try script(
            "ok.sh",
            """
            [ "$1" = 'two words $HOME' ] || { echo "bad argument: $1" >&2; exit 9; }
            cat <<JSON
            {"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "PROCESSSECRET-123abc",
             "SessionToken": "PROCESSTOKEN-456def", "Expiration": "\(iso8601(expiry))"}
            JSON
            """)
        let credentials = try await witnessed { try await provider("\(path) 'two words $HOME'").credentials() }
        #expect(credentials.accessKeyID == "AKIAPROCESS")
        #expect(credentials.secretAccessKey.reveal() == "PROCESSSECRET-123abc")
        #expect(credentials.sessionToken?.reveal() == "PROCESSTOKEN-456def")
        #expect(credentials.expiration == expiry)
    }

    @Test func runsAgainAheadOfExpiry() async throws {
        let counter = directory.path + "/count"
        let path = try script(
            "counting.sh",
            """
            n=$(cat \(counter) 2>/dev/null || echo 0); n=$((n+1)); echo $n > \(counter)
            echo '{"Version": 1, "AccessKeyId": "AKIA'$n'", "SecretAccessKey": "PROCESSSECRET-123abc", "Expiration": "\(iso8601(clock.date.addingTimeInterval(900)))"}'
            """)
        let provider = try provider(path)
        #expect(try await provider.credentials().accessKeyID == "AKIA1")
        #expect(try await provider.credentials().accessKeyID == "AKIA1")
        clock.advance(by: .seconds(601))
        #expect(try await provider.credentials().accessKeyID == "AKIA2")
    }

    @Test func failureReportsStatusAndStderrButNotStdout() async throws {
        let path = try script(
            "fail.sh",
            """
            echo '{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "PROCESSSECRET-123abc"}'
            echo "sso session expired; run aws sso login" >&2
            exit 3
            """)
        let error = await caught { try await provider(path).credentials() }
        guard case .processFailed(_, let status, let stderr) = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(status == 3)
        #expect(stderr.contains("sso session expired"))
        #expect(!"\(error!)".contains("PROCESSSECRET"))
        Witness.assertNoLeaks()
    }

    @Test func hangingProcessTimesOut() async throws {
        let path = try script("hang.sh", "exec sleep 30")
        let error = await caught { try await provider(path, timeout: .milliseconds(300)).credentials() }
        guard case .processTimedOut = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect((error as? RunnelAWSError)?.isRetryable == true)
    }

    @Test(arguments: [
        ("garbage", "echo 'this is not json'"),
        ("wrong version", #"echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "PROCESSSECRET-123abc"}'"#),
        ("no secret", #"echo '{"Version": 1, "AccessKeyId": "A"}'"#),
        ("bad expiration", #"echo '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "PROCESSSECRET-123abc", "Expiration": "tomorrow"}'"#),
        ("empty", "true"),
    ])
    func unusableOutput(name: String, body: String) async throws {
        let path = try script("bad-\(name.replacingOccurrences(of: " ", with: "-")).sh", body)
        let error = await caught { try await provider(path).credentials() }
        guard case .invalidResponse = error as? RunnelAWSError else {
            Issue.record("\(name): unexpected \(String(describing: error))")
            return
        }
        Witness.assertNoLeaks()
    }

    @Test func missingProgram() async throws {
        let error = await caught { try await provider("no-such-credential-helper-xyz --flag").credentials() }
        guard case .processNotStarted = error as? RunnelAWSError else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
    }

    @Test func unterminatedQuoteIsAConfigurationError() {
        #expect(throws: RunnelAWSError.self) { try provider("helper 'oops") }
    }
}
