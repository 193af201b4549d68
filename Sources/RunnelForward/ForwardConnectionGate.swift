import Synchronization

/// Whether a connection is in the middle of a message (emitting, acking) and whether shutdown
/// was asked for: at graceful shutdown an idle connection is closed at once, a busy one after
/// its message has been emitted and acknowledged.
final class ForwardConnectionGate: Sendable {
    private struct State {
        var busy = false
        var shutdownRequested = false
    }

    private let state = Mutex(State())

    init() {}

    /// A message arrived; false when the connection should stop instead.
    func begin() -> Bool {
        state.withLock { state in
            guard !state.shutdownRequested else { return false }
            state.busy = true
            return true
        }
    }

    /// The message is done; false when the connection should close now.
    func end() -> Bool {
        state.withLock { state in
            state.busy = false
            return !state.shutdownRequested
        }
    }

    var isBusy: Bool { state.withLock { $0.busy } }

    /// Asks the connection to stop; `close` runs now if it is idle.
    func requestShutdown(close: () -> Void) {
        let idle = state.withLock { state in
            state.shutdownRequested = true
            return !state.busy
        }
        if idle { close() }
    }
}
