import Testing
import RunnelCore

struct LogRateLimiterTests {
    @Test func oneLinePerReasonPerIntervalWithTheHeldBackCount() {
        let limiter = LogRateLimiter(interval: 10)
        #expect(limiter.admit("a", now: 0) == 0)
        #expect(limiter.admit("a", now: 5) == nil)
        #expect(limiter.admit("b", now: 5) == 0)
        #expect(limiter.admit("a", now: 9.9) == nil)
        #expect(limiter.admit("a", now: 10) == 2)
        #expect(limiter.admit("a", now: 19) == nil)
        #expect(limiter.total == 6)
    }
}
