import Synchronization
import Testing

@testable import RunnelKinesis

/// The AIMD pacer against simulated streams, on simulated time: no clock, no network.
struct ThroughputPacerTests {
    /// A stream that takes `capacity` records per second (a token bucket holding one second, as
    /// Kinesis' per-shard limits) and refuses a `refusedShare` of records whatever the rate.
    struct SimulatedStream {
        var capacity: Double
        var refusedShare = 0.0
        var tokens: Double
        var at = 0.0
        var refusals = 0

        init(capacity: Double, refusedShare: Double = 0) {
            self.capacity = capacity
            self.refusedShare = refusedShare
            tokens = capacity
        }

        /// How many of `records` sent at `now` are throttled.
        mutating func put(_ records: Int, now: Double) -> Int {
            tokens = min(capacity, tokens + capacity * (now - at))
            at = now
            var throttled = 0
            for _ in 0..<records {
                refusals += 1
                if refusedShare > 0, Double(refusals % 100) < refusedShare * 100 {
                    throttled += 1
                } else if tokens >= 1 {
                    tokens -= 1
                } else {
                    throttled += 1
                }
            }
            return throttled
        }
    }

    struct Run {
        var sent = 0
        var throttled = 0
        var seconds = 0.0
        var accepted: Int { sent - throttled }
    }

    /// A producer with more to send than the stream takes: requests of 100 records, each answered
    /// `latency` seconds after it went, `inFlight` of them out at once (as flush threads and
    /// concurrent requests keep them).
    static func simulate(
        _ stream: inout SimulatedStream, pacer: inout ThroughputPacer, seconds: Double, from start: Double = 0, latency: Double = 0.005,
        inFlight: Int = 1
    ) -> Run {
        var now = start
        var run = Run()
        // Requests out: when each went and when its answer comes.
        var out: [(sentAt: Double, answerAt: Double, throttled: Int)] = []
        while now < start + seconds {
            if out.count < inFlight {
                now += pacer.reserve(100, now: now)
                let throttled = stream.put(100, now: now)
                out.append((now, now + latency, throttled))
                run.sent += 100
                run.throttled += throttled
                continue
            }
            out.sort { $0.answerAt < $1.answerAt }
            let answer = out.removeFirst()
            now = max(now, answer.answerAt)
            pacer.answered(sent: 100, throttled: answer.throttled, now: now, sentAt: answer.sentAt)
        }
        run.seconds = now - start
        return run
    }

    @Test func unpacedUntilTheFirstThrottledAnswer() {
        var pacer = ThroughputPacer()
        pacer.answered(sent: 500, throttled: 0, now: 1)
        #expect(pacer.reserve(500, now: 1) == 0)
        #expect(pacer.rate == nil)
    }

    /// Unpaced, the producer sends 20,000 records/s into a 4,000 records/s stream and most are
    /// throttled; paced, it delivers at least 90% of the capacity with at most 5% throttled.
    /// With sixteen requests out at once, answered 50 ms after they went (four flush threads
    /// of four concurrent requests), as with one.
    @Test(arguments: [(1000.0, 1, 0.005), (4000.0, 1, 0.005), (4000.0, 16, 0.05)])
    func learnsTheCapacityOfAStream(capacity: Double, inFlight: Int, latency: Double) {
        var stream = SimulatedStream(capacity: capacity)
        var pacer = ThroughputPacer()
        _ = Self.simulate(&stream, pacer: &pacer, seconds: 10, latency: latency, inFlight: inFlight)
        let run = Self.simulate(&stream, pacer: &pacer, seconds: 60, from: 10, latency: latency, inFlight: inFlight)
        let delivered = Double(run.accepted) / run.seconds
        #expect(delivered >= 0.9 * capacity, "delivered \(delivered) of \(capacity)")
        #expect(Double(run.throttled) <= 0.05 * Double(run.sent), "throttled \(run.throttled) of \(run.sent)")
    }

    /// A stream that refuses 30% of records at any rate: slowing down would not help, so the
    /// pacer stops pacing instead of sending less and less.
    @Test func refusalsThatDoNotFollowTheRateStopThePacing() {
        var stream = SimulatedStream(capacity: .infinity, refusedShare: 0.3)
        var pacer = ThroughputPacer()
        let unpaced = Self.simulate(&stream, pacer: &pacer, seconds: 120)
        #expect(pacer.rate == nil)
        // 100 records per 5 ms is 20,000 records/s; a paced producer would be far below that.
        #expect(Double(unpaced.sent) / unpaced.seconds >= 0.9 * 20_000)
    }

    /// After a cut, the rate grows again by `increase` of the new rate per second.
    @Test func theRateGrowsAdditivelyWithoutThrottling() {
        var pacer = ThroughputPacer(decrease: 0.5, increase: 0.1)
        for step in 0..<10 { pacer.answered(sent: 100, throttled: 0, now: Double(step) * 0.1) }
        pacer.answered(sent: 100, throttled: 50, now: 1.0)
        let cut = try! #require(pacer.rate)
        // More to send than the rate allows (the rate never grows past twice what gets through).
        for step in 1...100 { pacer.answered(sent: 100, throttled: 0, now: 1.0 + Double(step) * 0.01) }
        let grown = try! #require(pacer.rate)
        #expect(abs(grown - cut * 1.1) < 1e-9)
    }

    /// A request that failed whole gives its records back: an outage leaves no debt to wait out.
    @Test func aFailedRequestGivesItsRecordsBack() {
        var pacer = ThroughputPacer()
        for step in 0..<100 { pacer.answered(sent: 100, throttled: 90, now: Double(step) * 0.01) }
        let rate = try! #require(pacer.rate)
        for _ in 0..<100 { _ = pacer.reserve(500, now: 1) }
        for _ in 0..<100 { pacer.refund(500, now: 1) }
        #expect(pacer.reserve(1, now: 1) < 1 / rate + 1e-9)
    }

    /// A stream whose open shards are known is paced from the first request: even with sixteen
    /// requests out at once, no burst of throttled records while the rate is learned.
    @Test func aKnownCapacityIsPacedFromTheFirstRequest() {
        var stream = SimulatedStream(capacity: 4_000)
        var pacer = ThroughputPacer()
        pacer.know(StreamCapacity(openShards: 4), now: 0)
        #expect(pacer.pacedRate == ThroughputPacer.headroom * 4_000)
        let run = Self.simulate(&stream, pacer: &pacer, seconds: 30, latency: 0.05, inFlight: 16)
        let delivered = Double(run.accepted) / run.seconds
        #expect(delivered >= 0.9 * 4_000, "delivered \(delivered)")
        #expect(Double(run.throttled) <= 0.05 * Double(run.sent), "throttled \(run.throttled) of \(run.sent)")
        #expect(pacer.pacedRate! <= 4_000)
    }

    /// Unpaced, the same producer has most of its first second's records throttled: what the
    /// known capacity saves.
    @Test func anUnknownCapacityIsLearnedFromThrottling() {
        var stream = SimulatedStream(capacity: 4_000)
        var pacer = ThroughputPacer()
        let run = Self.simulate(&stream, pacer: &pacer, seconds: 1, latency: 0.05, inFlight: 16)
        #expect(Double(run.throttled) >= 0.5 * Double(run.sent), "throttled \(run.throttled) of \(run.sent)")
    }

    /// A shard takes 1 MiB/s: requests of large records wait for their bytes, not their count.
    @Test func aKnownCapacityBoundsTheBytes() {
        var pacer = ThroughputPacer()
        pacer.know(StreamCapacity(openShards: 1), now: 0)
        var wait = 0.0
        for _ in 0..<10 { wait = pacer.reserve(10, bytes: 1 << 20, now: 0) }
        // 100 records are a tenth of a second of the shard's records, 10 MiB ten seconds of its bytes.
        #expect(wait >= 9.9 && wait <= 10.1, "wait \(wait)")
        pacer.refund(10, bytes: 5 << 20, now: 0)
        #expect(pacer.reserve(0, bytes: 0, now: 0) < wait)
    }

    /// Refusals that do not follow the rate stop the learning, never the known capacity.
    @Test func stoppedLearningStaysWithinTheKnownCapacity() {
        var stream = SimulatedStream(capacity: .infinity, refusedShare: 0.3)
        var pacer = ThroughputPacer()
        pacer.know(StreamCapacity(openShards: 2), now: 0)
        let run = Self.simulate(&stream, pacer: &pacer, seconds: 120)
        #expect(pacer.rate == nil)
        #expect(pacer.pacedRate == 2_000)
        #expect(Double(run.sent) / run.seconds <= 2_000 * 1.05)
    }

    /// The first request to a stream waits for its capacity; later ones look again in the
    /// background once `lookupEvery` has passed, keeping the capacity they know meanwhile.
    @Test func pacersLookUpTheCapacityBeforeTheFirstRequest() async {
        let clock = Mutex(0.0)
        let lookups = Mutex(0)
        let pacers = ThroughputPacers(lookupEvery: 60, now: { clock.withLock { $0 } })
        let lookup: @Sendable () async -> StreamCapacity? = {
            lookups.withLock { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(20))
            return StreamCapacity(openShards: 3)
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await pacers.prepare(stream: "s", lookup: lookup) } }
        }
        #expect(lookups.withLock { $0 } == 1)
        #expect(pacers.capacity(of: "s") == StreamCapacity(openShards: 3))
        #expect(pacers.rate(of: "s") == ThroughputPacer.headroom * 3_000)
        await pacers.prepare(stream: "s", lookup: lookup)
        #expect(lookups.withLock { $0 } == 1)
        // A reshard to 6 shards, seen by the next lookup, which the sender does not wait for.
        clock.withLock { $0 = 61 }
        await pacers.prepare(stream: "s") {
            try? await Task.sleep(for: .milliseconds(50))
            return StreamCapacity(openShards: 6)
        }
        #expect(pacers.capacity(of: "s") == StreamCapacity(openShards: 3))
        for _ in 0..<500 where pacers.capacity(of: "s") != StreamCapacity(openShards: 6) { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(pacers.capacity(of: "s") == StreamCapacity(openShards: 6))
        // An on-demand stream (or a refused lookup): no capacity, unpaced until throttled.
        await pacers.prepare(stream: "other", lookup: { nil })
        #expect(pacers.rate(of: "other") == nil)
    }
}
