import Logging
import Synchronization

/// Lets one log line per reason through per interval and says, on the next one let through, how
/// many were held back: a misbehaving client, a malformed file or a failing destination cannot
/// flood the log. Every occurrence is counted (`total`), logged or not.
///
/// Times are seconds on a monotonic clock, passed in (`now`) so the rule is tested without
/// waiting; `MonotonicClock.seconds()` is the clock callers use.
public final class LogRateLimiter: Sendable {
    struct Entry {
        var last: Double
        var suppressed: Int
    }

    struct State {
        var entries: [String: Entry] = [:]
        var total = 0
    }

    /// Seconds between two lines of one reason.
    public let interval: Double
    /// The metadata key that carries the reason (none when nil).
    let reasonKey: String?
    /// The metadata key that carries the held-back count.
    let suppressedKey: String
    private let state = Mutex(State())

    public init(interval: Double = 60, reasonKey: String? = nil, suppressedKey: String = "suppressed") {
        self.interval = interval
        self.reasonKey = reasonKey
        self.suppressedKey = suppressedKey
    }

    /// Every occurrence so far, logged or held back.
    public var total: Int { state.withLock { $0.total } }

    /// Counts one occurrence of `reason`; returns how many were held back since the last one let
    /// through, or nil to stay quiet.
    public func admit(_ reason: String = "", now: Double) -> Int? {
        state.withLock { state in
            state.total += 1
            if var entry = state.entries[reason], now - entry.last < interval {
                entry.suppressed += 1
                state.entries[reason] = entry
                return nil
            }
            let suppressed = state.entries[reason]?.suppressed ?? 0
            state.entries[reason] = Entry(last: now, suppressed: 0)
            return suppressed
        }
    }

    /// Logs `message` unless a line of `reason` was let through within `interval` of `now`.
    public func log(
        _ logger: Logger, level: Logger.Level, _ message: Logger.Message, reason: String = "",
        metadata: Logger.Metadata = [:], now: Double = MonotonicClock.seconds()
    ) {
        guard let suppressed = admit(reason, now: now) else { return }
        var metadata = metadata
        if let reasonKey { metadata[reasonKey] = "\(reason)" }
        if suppressed > 0 { metadata[suppressedKey] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata)
    }

    /// `log` at warning level for the one reason of a limiter that has only one.
    public func warn(_ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata = [:], now: Double) {
        log(logger, level: .warning, message, metadata: metadata, now: now)
    }
}
