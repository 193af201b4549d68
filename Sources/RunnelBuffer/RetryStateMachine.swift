/// Fluentd's retry state (plugin_helper/retry_state.rb) as a value: created at the first failure,
/// stepped at each later one, it says when to try next, whether to use `<secondary>`, and when
/// to give up. Times are seconds on any monotonic scale; randomness is passed in.
public struct RetryStateMachine: Sendable, Equatable {
    public enum Target: Sendable, Equatable { case primary, secondary }

    /// What to do after a failure.
    public enum Action: Sendable, Equatable {
        /// Try again at `at` (on the secondary when `secondary`).
        case retry(at: Double, secondary: Bool)
        /// Retries are exhausted (`retry_timeout` / `retry_max_times`).
        case giveUp
    }

    public let policy: RetryPolicy
    public let hasSecondary: Bool
    public let start: Double
    public private(set) var steps = 0
    public private(set) var nextTime: Double
    public private(set) var current: Target = .primary
    public let timeoutAt: Double
    /// When the secondary takes over (nil without a secondary or with `retry_forever`).
    public let secondaryTransitionAt: Double?
    private var secondaryTransitionSteps = 0

    /// The state after the first failure at `now`: the next try is `retry_wait` later.
    public init(policy: RetryPolicy, hasSecondary: Bool, now: Double) {
        self.policy = policy
        self.hasSecondary = hasSecondary
        self.start = now
        self.timeoutAt = now + policy.timeout
        self.nextTime = now + policy.wait
        if hasSecondary, !policy.forever {
            var maxTimeout = policy.timeout
            if let maxTimes = policy.maxTimes { maxTimeout = min(maxTimeout, Self.maxRetryTimeout(policy, steps: maxTimes)) }
            secondaryTransitionAt = now + maxTimeout * policy.secondaryThreshold
        } else {
            secondaryTransitionAt = nil
        }
    }

    /// The action right after the first failure (`init`).
    public var initialAction: Action { isLimit ? .giveUp : .retry(at: nextTime, secondary: usesSecondary(at: nextTime)) }

    /// Records a further failure at `now`. `random` in [0, 1) spreads the wait (when
    /// `retry_randomize`); `retryAfter` is the destination's own wait, which is honoured if longer.
    public mutating func failed(now: Double, random: Double, retryAfter: Double? = nil) -> Action {
        if now >= nextTime {
            steps += 1
            if !policy.forever, let transition = secondaryTransitionAt, current != .secondary, now >= transition {
                current = .secondary
                secondaryTransitionSteps = steps
            }
        }
        nextTime = calcNextTime(now: now, random: random)
        if let retryAfter, now + retryAfter > nextTime { nextTime = now + retryAfter }
        if isLimit { return .giveUp }
        return .retry(at: nextTime, secondary: usesSecondary(at: nextTime))
    }

    /// Whether the next try goes to the secondary.
    public func usesSecondary(at now: Double) -> Bool {
        guard !policy.forever, let transition = secondaryTransitionAt else { return false }
        return current == .secondary || now >= transition
    }

    /// Fluentd's `limit?`.
    public var isLimit: Bool {
        if policy.forever { return false }
        if nextTime >= timeoutAt { return true }
        if let maxTimes = policy.maxTimes, steps >= maxTimes { return true }
        return false
    }

    func calcNextTime(now: Double, random: Double) -> Double {
        if policy.forever || !hasSecondary {
            let naive = now + randomize(interval(steps), random)
            return policy.forever ? naive : min(naive, timeoutAt)
        }
        if current == .primary, let transition = secondaryTransitionAt {
            return min(now + randomize(interval(steps), random), transition)
        }
        return min(now + randomize(interval(steps - secondaryTransitionSteps + 1), random), timeoutAt)
    }

    func randomize(_ interval: Double, _ random: Double) -> Double {
        guard policy.randomize else { return interval }
        return interval + interval * RetryPolicy.randomizeWidth * (2 * random - 1)
    }

    /// The wait before try `number` (1-based): `retry_wait × base^(number-1)`, capped.
    func interval(_ number: Int) -> Double { Self.interval(policy, number) }

    static func interval(_ policy: RetryPolicy, _ number: Int) -> Double {
        switch policy.type {
        case .periodic: return policy.wait
        case .exponentialBackoff:
            var n = number
            var value = policy.wait * pow(policy.backoffBase, Double(n - 1))
            while !value.isFinite, n > 1 {
                n -= 1
                value = policy.wait * pow(policy.backoffBase, Double(n - 1))
            }
            if let cap = policy.maxInterval, value > cap { return cap }
            return value
        }
    }

    static func maxRetryTimeout(_ policy: RetryPolicy, steps: Int) -> Double {
        (1...max(1, steps)).reduce(0) { $0 + interval(policy, $1) }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
