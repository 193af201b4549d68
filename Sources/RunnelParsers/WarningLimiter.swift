import Logging
import Synchronization

/// Logs a repeated warning at most once per `interval` seconds, saying how many were suppressed,
/// and counts every occurrence (malformed lines must never flood the log or crash anything).
public final class WarningLimiter: Sendable {
    struct State {
        var total = 0
        var suppressed = 0
        var lastLogged: Double = -.infinity
    }

    let interval: Double
    let state = Mutex(State())

    public init(interval: Double = 60) {
        self.interval = interval
    }

    public var total: Int { state.withLock { $0.total } }

    /// Counts one occurrence and logs it unless one was logged within `interval` of `now` (seconds).
    public func warn(_ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata = [:], now: Double) {
        let suppressed: Int? = state.withLock { state in
            state.total += 1
            guard now - state.lastLogged >= interval else {
                state.suppressed += 1
                return nil
            }
            state.lastLogged = now
            defer { state.suppressed = 0 }
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning(message, metadata: metadata)
    }
}
