/// Something a buffered output holds besides its buffer and must release: closed when the
/// plugin's `run()` returns, and without waiting when a plugin that never ran goes away.
public struct OutputResource: Sendable {
    let close: @Sendable () async throws -> Void
    let closeWithoutWaiting: @Sendable () -> Void

    /// `close` waits until the resource is released; `closeWithoutWaiting` only starts it, as
    /// a `deinit` may not wait.
    public init(close: @escaping @Sendable () async throws -> Void, closeWithoutWaiting: @escaping @Sendable () -> Void) {
        self.close = close
        self.closeWithoutWaiting = closeWithoutWaiting
    }
}
