import Testing

@testable import RunnelForwardOutput

/// `expire_dns_cache` and `dns_round_robin` as a value.
@Suite struct ForwardAddressCacheTests {
    @Test func withoutExpiryAddressesAreKeptForEver() {
        var cache = ForwardAddressCache(expiry: nil, roundRobin: false)
        #expect(cache.needsResolution(now: 0))
        cache.store(["10.0.0.1", "10.0.0.2"], now: 0)
        #expect(!cache.needsResolution(now: 1_000_000))
        #expect(cache.pick() == "10.0.0.1" && cache.pick() == "10.0.0.1")
        cache.expire()
        #expect(cache.needsResolution(now: 1))
    }

    @Test func expiryAndZero() {
        var cache = ForwardAddressCache(expiry: 30, roundRobin: false)
        cache.store(["10.0.0.1"], now: 100)
        #expect(!cache.needsResolution(now: 129) && cache.needsResolution(now: 130))
        var never = ForwardAddressCache(expiry: 0, roundRobin: false)
        never.store(["10.0.0.1"], now: 100)
        #expect(never.needsResolution(now: 100))
    }

    @Test func roundRobinWalksEveryAddress() {
        var cache = ForwardAddressCache(expiry: nil, roundRobin: true)
        cache.store(["a", "b", "c"], now: 0)
        #expect((0..<7).compactMap { _ in cache.pick() } == ["a", "b", "c", "a", "b", "c", "a"])
        cache.store(["x"], now: 1)
        #expect(cache.pick() == "x")
    }
}
