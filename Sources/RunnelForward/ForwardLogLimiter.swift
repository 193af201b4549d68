import Logging
import Synchronization

/// Lets one log line per reason through per interval, and says how many were held back, so a
/// misbehaving client cannot flood the log.
final class ForwardLogLimiter: Sendable {
    private struct Entry {
        var last: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(interval: Duration = .seconds(10)) { self.interval = interval }

    /// Returns how many lines with this reason were suppressed since the last one, or nil to stay quiet.
    func admit(_ reason: String, now: ContinuousClock.Instant = .now) -> Int? {
        entries.withLock { entries in
            if var entry = entries[reason], now - entry.last < interval {
                entry.suppressed += 1
                entries[reason] = entry
                return nil
            }
            let suppressed = entries[reason]?.suppressed ?? 0
            entries[reason] = Entry(last: now, suppressed: 0)
            return suppressed
        }
    }

    func log(
        _ logger: Logger, level: Logger.Level, _ message: Logger.Message, reason: String, metadata: Logger.Metadata = [:]
    ) {
        guard let suppressed = admit(reason) else { return }
        var metadata = metadata
        metadata["forward.reason"] = "\(reason)"
        if suppressed > 0 { metadata["forward.suppressed"] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
