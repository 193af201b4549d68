import Foundation
@testable import RunnelAWS
import RunnelCore
import RunnelSigV4
import RunnelTestSupport
import Synchronization
import Testing

/// A fetch whose results the test scripts, counting calls.
final class ScriptedFetch: Sendable {
    private let state = Mutex<(calls: Int, results: [Result<AWSCredentials, RunnelAWSError>])>((0, []))
    var calls: Int { state.withLock { $0.calls } }
    func push(_ result: Result<AWSCredentials, RunnelAWSError>) { state.withLock { $0.results.append(result) } }
    func fetch() throws -> AWSCredentials {
        let result: Result<AWSCredentials, RunnelAWSError> = state.withLock { state in
            state.calls += 1
            return state.results.isEmpty
                ? .failure(.connectionFailed(source: "test", endpoint: "nowhere", reason: "no scripted result"))
                : state.results.removeFirst()
        }
        return try result.get()
    }
}

func temporaryCredentials(_ id: String, expiring: Date) -> AWSCredentials {
    AWSCredentials(
        accessKeyID: id, secretAccessKey: Secret("FAKESTS-SECRET-3333"), sessionToken: Secret("FAKESTS-TOKEN-4444"),
        expiration: expiring)
}

@Suite struct ExpiringCredentialsTests {
    let clock = ManualClock()
    let fetch = ScriptedFetch()

    func makeCache() -> ExpiringCredentials {
        let fetch = self.fetch
        return ExpiringCredentials(source: "test", logger: Witness.logger, now: clock.dateFunction) { try fetch.fetch() }
    }

    @Test func cachesUntilFiveMinutesBeforeExpiry() async throws {
        let cache = makeCache()
        let expiry = clock.date.addingTimeInterval(3600)
        fetch.push(.success(temporaryCredentials("ASIAONE", expiring: expiry)))
        fetch.push(.success(temporaryCredentials("ASIATWO", expiring: expiry.addingTimeInterval(3600))))

        #expect(try await cache.credentials().accessKeyID == "ASIAONE")
        clock.advance(by: .seconds(3600 - 301))
        #expect(try await cache.credentials().accessKeyID == "ASIAONE")
        #expect(fetch.calls == 1)
        clock.advance(by: .seconds(2))  // 299 s before expiry: inside the refresh window
        #expect(try await cache.credentials().accessKeyID == "ASIATWO")
        #expect(fetch.calls == 2)
    }

    @Test func failedRefreshKeepsValidCredentialsAndBacksOff() async throws {
        let cache = makeCache()
        let expiry = clock.date.addingTimeInterval(600)
        fetch.push(.success(temporaryCredentials("ASIAONE", expiring: expiry)))
        _ = try await cache.credentials()
        clock.advance(by: .seconds(400))  // in the window
        fetch.push(.failure(.timedOut(source: "test", endpoint: "sts", seconds: 1)))
        #expect(try await cache.credentials().accessKeyID == "ASIAONE")
        #expect(fetch.calls == 2)
        // Within the back-off no new attempt is made.
        #expect(try await cache.credentials().accessKeyID == "ASIAONE")
        #expect(fetch.calls == 2)
        clock.advance(by: .seconds(1.5))
        fetch.push(.success(temporaryCredentials("ASIATWO", expiring: expiry.addingTimeInterval(3600))))
        #expect(try await cache.credentials().accessKeyID == "ASIATWO")
        #expect(fetch.calls == 3)
    }

    @Test func backOffGrowsBetweenFailures() async throws {
        let cache = makeCache()
        fetch.push(.success(temporaryCredentials("ASIAONE", expiring: clock.date.addingTimeInterval(3600))))
        _ = try await cache.credentials()
        clock.advance(by: .seconds(3400))
        for _ in 0..<3 { fetch.push(.failure(.timedOut(source: "test", endpoint: "sts", seconds: 1))) }
        _ = try await cache.credentials()  // fails, back-off 1 s
        clock.advance(by: .seconds(1.1))
        _ = try await cache.credentials()  // fails, back-off 2 s
        #expect(fetch.calls == 3)
        clock.advance(by: .seconds(1.1))
        _ = try await cache.credentials()  // still backing off
        #expect(fetch.calls == 3)
        clock.advance(by: .seconds(1.1))
        _ = try await cache.credentials()
        #expect(fetch.calls == 4)
    }

    @Test func expiredCredentialsAndFailureThrowThenBackOff() async throws {
        let cache = makeCache()
        fetch.push(.success(temporaryCredentials("ASIAONE", expiring: clock.date.addingTimeInterval(600))))
        _ = try await cache.credentials()
        clock.advance(by: .seconds(700))
        fetch.push(
            .failure(
                .stsFailure(
                    operation: "AssumeRole", roleARN: "arn:aws:iam::1:role/r", status: 403,
                    code: "AccessDenied", message: "not allowed")))
        let error = await caught { try await cache.credentials() }
        #expect((error as? RunnelAWSError)?.isRetryable == false)
        // The same failure is reported again during the back-off, without a call.
        let again = await caught { try await cache.credentials() }
        #expect(again as? RunnelAWSError == error as? RunnelAWSError)
        #expect(fetch.calls == 2)
        Witness.assertNoLeaks()
    }

    @Test func invalidateForcesAFetch() async throws {
        let cache = makeCache()
        fetch.push(.success(temporaryCredentials("ASIAONE", expiring: clock.date.addingTimeInterval(3600))))
        fetch.push(.success(temporaryCredentials("ASIATWO", expiring: clock.date.addingTimeInterval(3600))))
        _ = try await cache.credentials()
        await cache.invalidate()
        #expect(try await cache.credentials().accessKeyID == "ASIATWO")
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let gate = AsyncGate()
        let calls = Mutex(0)
        let clock = self.clock
        let cache = ExpiringCredentials(source: "test", logger: Witness.logger, now: clock.dateFunction) {
            calls.withLock { $0 += 1 }
            await gate.wait()
            return temporaryCredentials("ASIASHARED", expiring: clock.date.addingTimeInterval(3600))
        }
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.credentials().accessKeyID } }
            // Let every caller reach the cache before the fetch completes.
            while await cache.waitingCallersForTesting < 50 { await Task.yield() }
            await gate.open()
            for try await id in group { #expect(id == "ASIASHARED") }
        }
        #expect(calls.withLock { $0 } == 1)
    }
}

/// Opens once; waiters before and after pass.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
