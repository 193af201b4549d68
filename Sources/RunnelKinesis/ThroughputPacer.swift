/// Sends close to the rate a stream accepts instead of sending and being throttled: the rate is
/// learned from `ProvisionedThroughputExceededException` answers, additive increase and
/// multiplicative decrease (AIMD) as TCP learns a path's capacity. Kinesis allows each shard
/// 1,000 records and 1 MiB per second; a stream's capacity is the sum over its shards, and a
/// producer only sees it through throttled records.
///
/// Unpaced until the first throttled answer; then paced at `decrease` times the rate accepted in
/// the last second, growing by `increase` of that rate per second without throttling, cut again
/// at the next throttled answer (at most once per `settle` seconds, since answers to requests
/// already out still reflect the old rate). Throttling that does not fall when the rate falls
/// (a destination that refuses a share of records whatever the rate) is not a capacity: after
/// two cuts in a row that did not make throttling rarer, pacing stops for `ignoreFor` seconds
/// (twice as long each time this is found again, up to 10 minutes) rather than slow down for nothing.
///
/// A value that reads no clock: times are seconds on a monotonic scale, passed in.
struct ThroughputPacer: Sendable, Equatable {
    /// Records per second allowed, or nil: unpaced.
    private(set) var rate: Double?
    let decrease: Double
    let increase: Double
    let settle: Double
    let ignoreFor: Double
    /// The lowest paced rate (records per second).
    let floor: Double

    private var tokens = 0.0
    private var refilledAt = 0.0
    private var increasedAt = 0.0
    private var decreasedAt = -Double.infinity
    /// The rate after the last decrease, the unit of the additive increase.
    private var base = 0.0
    /// The answers of the last second.
    private var recent: [Sample] = []
    /// The throttled share of the second before the last cut, until the second after it
    /// (once its answers reflect the cut) has been compared with it.
    private var shareBeforeCut: Double?
    /// Cuts in a row after which the throttled share did not fall.
    private var fruitlessCuts = 0
    private var ignoreUntil = -Double.infinity
    /// How long the next stop lasts.
    private var ignoring: Double

    struct Sample: Sendable, Equatable {
        var time: Double
        var sent: Int
        var throttled: Int
    }

    init(decrease: Double = 0.85, increase: Double = 0.04, settle: Double = 0.5, ignoreFor: Double = 30, floor: Double = 50) {
        self.decrease = decrease
        self.increase = increase
        self.settle = settle
        self.ignoreFor = ignoreFor
        self.floor = floor
        ignoring = ignoreFor
    }

    /// Takes `records` for a request to go at `now`; returns the seconds to wait before sending it.
    mutating func reserve(_ records: Int, now: Double) -> Double {
        guard let rate else { return 0 }
        refill(now, rate: rate)
        tokens -= Double(records)
        return tokens >= 0 ? 0 : -tokens / rate
    }

    /// An answer at `now`: `sent` records, of which `throttled` were refused for throughput.
    mutating func answered(sent: Int, throttled: Int, now: Double) {
        recent.append(Sample(time: now, sent: sent, throttled: throttled))
        if let first = recent.first, now - first.time > 1 { recent.removeAll { now - $0.time > 1 } }
        if let rate { refill(now, rate: rate) }
        if let before = shareBeforeCut, now >= decreasedAt + settle + 1 {
            // The last second's answers all left after the cut: did it make throttling rarer?
            shareBeforeCut = nil
            let fruitless = throttledShare() > 0.7 * before
            fruitlessCuts = fruitless ? fruitlessCuts + 1 : 0
            if !fruitless { ignoring = ignoreFor }
            if fruitlessCuts >= 2 {
                // Not a capacity to pace to; each time this is found again, for twice as long.
                rate = nil
                fruitlessCuts = 0
                ignoreUntil = now + ignoring
                ignoring = min(ignoring * 2, 600)
                return
            }
        }
        if throttled > 0 {
            if now >= ignoreUntil, shareBeforeCut == nil, now - decreasedAt >= settle { cut(now) }
        } else if var rate, now > increasedAt {
            let cap = 2 * max(acceptedRate(now), floor)
            rate = min(rate + base * increase * (now - increasedAt), max(rate, cap))
            self.rate = rate
            increasedAt = now
        }
    }

    private mutating func cut(_ now: Double) {
        let measured = acceptedRate(now)
        let current = rate.map { min($0, max(measured, floor)) } ?? measured
        let next = max(floor, current * decrease)
        rate = next
        base = next
        tokens = min(tokens, 0)
        refilledAt = now
        increasedAt = now
        decreasedAt = now
        shareBeforeCut = throttledShare()
    }

    /// The throttled share of the records of the last second's answers.
    func throttledShare() -> Double {
        let sent = recent.reduce(0) { $0 + $1.sent }
        return sent > 0 ? Double(recent.reduce(0) { $0 + $1.throttled }) / Double(sent) : 0
    }

    /// Records accepted per second over the last second (over the time seen, when shorter).
    func acceptedRate(_ now: Double) -> Double {
        guard let first = recent.first else { return 0 }
        let total = recent.reduce(0) { $0 + $1.sent - $1.throttled }
        return Double(total) / max(0.2, min(1, now - first.time))
    }

    private mutating func refill(_ now: Double, rate: Double) {
        // A fifth of a second of burst at most.
        tokens = min(rate * 0.2, tokens + rate * max(0, now - refilledAt))
        refilledAt = now
    }
}

/// One `ThroughputPacer` per stream of an output, shared by its flush threads.
final class ThroughputPacers: Sendable {
    private let pacers = Mutex<[String: ThroughputPacer]>([:])
    private let now: @Sendable () -> Double

    init(now: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        self.now = now
    }

    /// Seconds to wait before a request of `records` records to `stream` goes.
    func reserve(_ records: Int, stream: String) -> Double {
        let time = now()
        return pacers.withLock { $0[stream, default: ThroughputPacer()].reserve(records, now: time) }
    }

    func answered(sent: Int, throttled: Int, stream: String) {
        let time = now()
        pacers.withLock { $0[stream, default: ThroughputPacer()].answered(sent: sent, throttled: throttled, now: time) }
    }

    /// The paced rate of `stream` (records per second), nil while unpaced.
    func rate(of stream: String) -> Double? { pacers.withLock { $0[stream]?.rate } }
}

import RunnelCore
import Synchronization
