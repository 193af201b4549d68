import Testing

@testable import RunnelBuffer

@Suite struct RetryStateMachineTests {
    func policy(_ change: (inout RetryPolicy) -> Void = { _ in }) -> RetryPolicy {
        var policy = RetryPolicy()
        policy.randomize = false
        change(&policy)
        return policy
    }

    /// Fails at each scheduled time and returns the schedule (Fluentd: 1, 1, 2, 4, 8 ... apart).
    func schedule(_ machine: inout RetryStateMachine, failures: Int) -> [RetryStateMachine.Action] {
        var actions = [machine.initialAction]
        for _ in 0..<failures {
            guard case .retry(let at, _) = actions.last! else { break }
            actions.append(machine.failed(now: at, random: 0.5))
        }
        return actions
    }

    @Test func exponentialBackoffDoublesFromRetryWait() {
        var machine = RetryStateMachine(policy: policy(), hasSecondary: false, now: 0)
        let actions = schedule(&machine, failures: 5)
        #expect(actions == [1, 2, 4, 8, 16, 32].map { .retry(at: $0, secondary: false) })
    }

    @Test func retryMaxIntervalCapsEachWait() {
        var machine = RetryStateMachine(policy: policy { $0.maxInterval = 3 }, hasSecondary: false, now: 0)
        #expect(schedule(&machine, failures: 5) == [1, 2, 4, 7, 10, 13].map { .retry(at: $0, secondary: false) })
    }

    @Test func baseAndWaitAreHonoured() {
        var machine = RetryStateMachine(
            policy: policy {
                $0.wait = 0.5; $0.backoffBase = 3
            }, hasSecondary: false, now: 10)
        #expect(schedule(&machine, failures: 3) == [10.5, 11, 12.5, 17].map { .retry(at: $0, secondary: false) })
    }

    @Test func periodicWaitsTheSameEachTime() {
        var machine = RetryStateMachine(
            policy: policy {
                $0.type = .periodic; $0.wait = 5
            }, hasSecondary: false, now: 0)
        #expect(schedule(&machine, failures: 3) == [5, 10, 15, 20].map { .retry(at: $0, secondary: false) })
    }

    @Test func retryTimeoutGivesUp() {
        var machine = RetryStateMachine(policy: policy { $0.timeout = 10 }, hasSecondary: false, now: 0)
        #expect(
            schedule(&machine, failures: 10) == [
                .retry(at: 1, secondary: false), .retry(at: 2, secondary: false),
                .retry(at: 4, secondary: false), .retry(at: 8, secondary: false), .giveUp,
            ])
    }

    @Test func retryMaxTimesGivesUpAfterThatManyRetries() {
        var machine = RetryStateMachine(policy: policy { $0.maxTimes = 3 }, hasSecondary: false, now: 0)
        let actions = schedule(&machine, failures: 10)
        #expect(actions.count == 4)
        #expect(actions.last == .giveUp)
    }

    @Test func retryForeverNeverGivesUpNorUsesSecondary() {
        var machine = RetryStateMachine(
            policy: policy {
                $0.timeout = 10; $0.maxInterval = 60; $0.forever = true
            }, hasSecondary: true, now: 0)
        let actions = schedule(&machine, failures: 30)
        #expect(actions.count == 31)
        #expect(actions.allSatisfy { if case .retry(_, let secondary) = $0 { return !secondary } else { return false } })
        let times = actions.compactMap { if case .retry(let at, _) = $0 { return at } else { return nil } }
        #expect(Array(times.prefix(8)) == [1, 2, 4, 8, 16, 32, 64, 124])
        #expect(times[30] - times[29] == 60)
    }

    @Test func secondaryTakesOverAtTheThreshold() {
        var machine = RetryStateMachine(policy: policy { $0.timeout = 100 }, hasSecondary: true, now: 0)
        let actions = schedule(&machine, failures: 12)
        // Primary until 80 (0.8 × 100), then the secondary with its own series, until the timeout.
        #expect(
            Array(actions.prefix(9)) == [
                .retry(at: 1, secondary: false), .retry(at: 2, secondary: false), .retry(at: 4, secondary: false),
                .retry(at: 8, secondary: false), .retry(at: 16, secondary: false), .retry(at: 32, secondary: false),
                .retry(at: 64, secondary: false), .retry(at: 80, secondary: true), .retry(at: 81, secondary: true),
            ])
        #expect(actions.last == .giveUp)
    }

    @Test func secondaryThresholdUsesRetryMaxTimesWhenShorter() {
        let machine = RetryStateMachine(policy: policy { $0.maxTimes = 4 }, hasSecondary: true, now: 0)
        // 1 + 2 + 4 + 8 = 15 seconds of retries; 0.8 of that.
        #expect(machine.secondaryTransitionAt == 12)
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.75, 0.999])
    func randomizeSpreadsByAnEighth(random: Double) {
        var machine = RetryStateMachine(policy: policy { $0.randomize = true }, hasSecondary: false, now: 0)
        _ = machine.failed(now: 1, random: 0.5)
        guard case .retry(let at, _) = machine.failed(now: 2, random: random) else {
            Issue.record("expected a retry")
            return
        }
        let wait = at - 2
        #expect(wait >= 2 * 0.875 && wait <= 2 * 1.125)
        #expect(abs(wait - (2 + 2 * 0.125 * (2 * random - 1))) < 1e-9)
    }

    @Test func retryAfterFromTheDestinationIsHonoured() {
        var machine = RetryStateMachine(policy: policy(), hasSecondary: false, now: 0)
        #expect(machine.failed(now: 1, random: 0.5, retryAfter: 30) == .retry(at: 31, secondary: false))
        // A shorter Retry-After does not shorten the policy's wait.
        #expect(machine.failed(now: 31, random: 0.5, retryAfter: 0.1) == .retry(at: 33, secondary: false))
    }

    @Test func earlyFailuresDoNotStepTheSeries() {
        // Several flush threads failing before the next retry time do not each double the wait.
        var machine = RetryStateMachine(policy: policy(), hasSecondary: false, now: 0)
        _ = machine.failed(now: 1, random: 0.5)
        _ = machine.failed(now: 1.5, random: 0.5)
        #expect(machine.steps == 1)
    }
}
