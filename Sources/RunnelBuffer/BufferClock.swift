/// The injected clock as the buffer uses it: seconds since the buffer was built, and sleeping.
/// Wall-clock time (for time keys) is the real time at start plus the clock's elapsed seconds,
/// so a test clock drives both.
struct BufferClock: Sendable {
    let now: @Sendable () -> Double
    let sleep: @Sendable (Double) async throws -> Void
    let wallOrigin: Double

    init<C: Clock>(_ clock: C, wallOrigin: Double) where C.Duration == Duration {
        let origin = clock.now
        now = {
            let elapsed = origin.duration(to: clock.now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }
        sleep = { seconds in try await clock.sleep(until: clock.now.advanced(by: .nanoseconds(Int64(max(0, seconds) * 1e9))), tolerance: nil) }
        self.wallOrigin = wallOrigin
    }

    /// Seconds since the epoch.
    var wall: Double { wallOrigin + now() }
}
