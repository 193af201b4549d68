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
/// three cuts in a row, with throttling all along, that did not make it rarer, pacing stops for
/// `ignoreFor` seconds (twice as long each time this is found again, up to 10 minutes) rather
/// than slow down for nothing.
///
/// A stream whose capacity is known (`know(_:now:)`, from DescribeStreamSummary's open shard
/// count) is paced from the first request: at `headroom` of that capacity to begin with, learned
/// as above from there, and never above it, in records and in bytes, even while throttling that
/// does not follow the rate has pacing stopped.
///
/// A value that reads no clock: times are seconds on a monotonic scale, passed in.
struct ThroughputPacer: Sendable, Equatable {
    /// Records per second the learning allows, or nil: unpaced (but for a known capacity).
    private(set) var rate: Double?
    /// What the stream's shards allow, when known.
    private(set) var capacity: StreamCapacity?
    /// The share of a known capacity the first requests are paced at.
    static let headroom = 0.9
    let decrease: Double
    let increase: Double
    let settle: Double
    let ignoreFor: Double
    /// The lowest paced rate (records per second).
    let floor: Double

    private var tokens = 0.0
    private var byteTokens = 0.0
    private var refilledAt = 0.0
    private var increasedAt = 0.0
    private var decreasedAt = -Double.infinity
    /// The rate after the last decrease, the unit of the additive increase.
    private var base = 0.0
    /// The answers of the last second.
    private var recent: [Sample] = []
    /// The throttled share of the answers just before the last cut.
    private var shareAtCut = 0.0
    /// An answer without throttling came after the last cut had settled: the next throttled
    /// answer is a new encounter with the capacity, not the same one going on.
    private var cleanSinceCut = false
    /// Cuts in a row, with throttling all along, after which the throttled share did not fall.
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

    /// The records per second requests go at: the learned rate within the known capacity.
    var pacedRate: Double? {
        switch (rate, capacity) {
        case (let rate?, let capacity?): min(rate, capacity.records)
        case (let rate?, nil): rate
        case (nil, let capacity?): capacity.records
        case (nil, nil): nil
        }
    }

    /// The stream's capacity, or nil when it is not known (an on-demand stream, or the lookup
    /// was refused). The first time a capacity is known, pacing starts at `headroom` of it.
    mutating func know(_ capacity: StreamCapacity?, now: Double) {
        if let capacity, self.capacity == nil, rate == nil, now >= ignoreUntil {
            rate = Self.headroom * capacity.records
            base = rate!
            increasedAt = now
            refilledAt = now
        }
        self.capacity = capacity
    }

    /// Takes `records` of `bytes` for a request to go at `now`; returns the seconds to wait
    /// before sending it.
    mutating func reserve(_ records: Int, bytes: Int = 0, now: Double) -> Double {
        guard let rate = pacedRate else { return 0 }
        refill(now, rate: rate)
        tokens -= Double(records)
        var wait = tokens >= 0 ? 0 : -tokens / rate
        if let byteRate = capacity?.bytes {
            byteTokens -= Double(bytes)
            if byteTokens < 0 { wait = max(wait, -byteTokens / byteRate) }
        }
        return wait
    }

    /// A request that got no answer for its records (a whole-request failure) gives its records back.
    mutating func refund(_ records: Int, bytes: Int = 0, now: Double) {
        guard let rate = pacedRate else { return }
        refill(now, rate: rate)
        tokens = min(rate * 0.2, tokens + Double(records))
        if let byteRate = capacity?.bytes { byteTokens = min(byteRate * 0.2, byteTokens + Double(bytes)) }
    }

    /// An answer at `now`: `sent` records, of which `throttled` were refused for throughput, of
    /// a request that went at `sentAt` (nil: now). An answer to a request sent before the last
    /// cut tells what the stream took, not how the new rate fares: it neither cuts nor grows.
    mutating func answered(sent: Int, throttled: Int, now: Double, sentAt: Double? = nil) {
        recent.append(Sample(time: now, sent: sent, throttled: throttled))
        if let first = recent.first, now - first.time > 1 { recent.removeAll { now - $0.time > 1 } }
        if let rate = pacedRate { refill(now, rate: rate) }
        if let sentAt, sentAt < decreasedAt { return }
        guard throttled > 0 else {
            if now >= decreasedAt + settle { cleanSinceCut = true }
            if var rate, now > increasedAt {
                let cap = 2 * max(acceptedRate(now), floor)
                rate = min(rate + base * increase * (now - increasedAt), max(rate, cap))
                if let capacity { rate = min(rate, capacity.records) }
                self.rate = rate
                increasedAt = now
            }
            return
        }
        guard now >= ignoreUntil, now - decreasedAt >= settle else { return }
        // The first cut waits for most of a second of answers (the rate of a few is no measure),
        // unless most records are refused: then what got through is the measure.
        let seen = now - (recent.first?.time ?? now)
        guard rate != nil || seen >= 1 - settle / 2 || throttledShare(since: now - 1) >= 0.5 else { return }
        let share = throttledShare(since: now - settle)
        if rate != nil, !cleanSinceCut {
            fruitlessCuts = share >= 0.1 && share > 0.9 * shareAtCut ? fruitlessCuts + 1 : 0
            if fruitlessCuts >= 3 {
                // Cutting did not make throttling rarer: not a capacity to pace to. Each time
                // this is found again, the stop lasts twice as long.
                rate = nil
                fruitlessCuts = 0
                decreasedAt = -Double.infinity
                ignoreUntil = now + ignoring
                ignoring = min(ignoring * 2, 600)
                return
            }
        } else {
            if rate != nil { ignoring = ignoreFor }
            fruitlessCuts = 0
        }
        cut(now, share: share)
    }

    private mutating func cut(_ now: Double, share: Double) {
        let measured = acceptedRate(now)
        let current = pacedRate.map { min($0, max(measured, floor)) } ?? measured
        let next = max(floor, current * decrease)
        rate = next
        base = next
        tokens = min(tokens, 0)
        refilledAt = now
        increasedAt = now
        decreasedAt = now
        shareAtCut = share
        cleanSinceCut = false
    }

    /// The throttled share of the records of the answers since `start` (within the last second).
    func throttledShare(since start: Double) -> Double {
        var sent = 0
        var throttled = 0
        for sample in recent where sample.time >= start {
            sent += sample.sent
            throttled += sample.throttled
        }
        return sent > 0 ? Double(throttled) / Double(sent) : 0
    }

    /// Records accepted per second over the last second (over the time seen, when shorter).
    func acceptedRate(_ now: Double) -> Double {
        guard let first = recent.first else { return 0 }
        let total = recent.reduce(0) { $0 + $1.sent - $1.throttled }
        return Double(total) / max(0.2, min(1, now - first.time))
    }

    private mutating func refill(_ now: Double, rate: Double) {
        // A fifth of a second of burst at most.
        let elapsed = max(0, now - refilledAt)
        tokens = min(rate * 0.2, tokens + rate * elapsed)
        if let byteRate = capacity?.bytes { byteTokens = min(byteRate * 0.2, byteTokens + byteRate * elapsed) }
        refilledAt = now
    }
}

/// The write capacity of a provisioned stream: 1,000 records and 1 MiB per second for each open
/// shard (Kinesis Data Streams developer guide, "Quotas and limits").
struct StreamCapacity: Sendable, Equatable {
    var records: Double
    var bytes: Double

    init(openShards: Int) {
        records = 1_000 * Double(openShards)
        bytes = 1_048_576 * Double(openShards)
    }
}

/// One `ThroughputPacer` per stream of an output, shared by its flush threads, and the lookups
/// of each stream's capacity.
final class ThroughputPacers: Sendable {
    private let pacers = Mutex<[String: ThroughputPacer]>([:])
    private let lookups = Mutex<[String: Lookup]>([:])
    private let now: @Sendable () -> Double
    /// How often a stream's capacity is looked up again (a reshard changes it).
    let lookupEvery: Double

    private struct Lookup {
        var task: Task<Void, Never>
        var startedAt: Double
        var done = false
    }

    init(lookupEvery: Double = 300, now: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        self.lookupEvery = lookupEvery
        self.now = now
    }

    /// Before sending to `stream`: the first time, waits for `lookup` (the stream's capacity, nil
    /// when unknown) so the first requests are already paced; later, looks again every
    /// `lookupEvery` seconds in the background.
    func prepare(stream: String, lookup: @escaping @Sendable () async -> StreamCapacity?) async {
        let time = now()
        let pending: Task<Void, Never>? = lookups.withLock { table in
            if let entry = table[stream] {
                if !entry.done { return entry.task }
                if time - entry.startedAt < lookupEvery { return nil }
            }
            let task = Task {
                let capacity = await lookup()
                let time = self.now()
                self.pacers.withLock { $0[stream, default: ThroughputPacer()].know(capacity, now: time) }
                self.lookups.withLock { $0[stream]?.done = true }
            }
            let first = table[stream] == nil
            table[stream] = Lookup(task: task, startedAt: time)
            return first ? task : nil
        }
        await pending?.value
    }

    /// Seconds to wait before a request of `records` records of `bytes` to `stream` goes, and
    /// the time it will go (to hand back with its answer).
    func reserve(_ records: Int, bytes: Int, stream: String) -> (wait: Double, sendsAt: Double) {
        let time = now()
        let wait = pacers.withLock { $0[stream, default: ThroughputPacer()].reserve(records, bytes: bytes, now: time) }
        return (wait, time + wait)
    }

    func refund(_ records: Int, bytes: Int, stream: String) {
        let time = now()
        pacers.withLock { $0[stream]?.refund(records, bytes: bytes, now: time) }
    }

    func answered(sent: Int, throttled: Int, stream: String, sentAt: Double?) {
        let time = now()
        pacers.withLock { $0[stream, default: ThroughputPacer()].answered(sent: sent, throttled: throttled, now: time, sentAt: sentAt) }
    }

    /// The paced rate of `stream` (records per second), nil while unpaced.
    func rate(of stream: String) -> Double? { pacers.withLock { $0[stream]?.pacedRate } }

    /// The known capacity of `stream`.
    func capacity(of stream: String) -> StreamCapacity? { pacers.withLock { $0[stream]?.capacity } }
}

import RunnelCore
import Synchronization
