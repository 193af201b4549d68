import NIOCore
import Synchronization

/// A listener's address once bound, for callers that wait for it (`port 0` in tests): shared by
/// the Forward input and the socket inputs of RunnelSyslog.
public final class BoundAddress: Sendable {
    private enum State {
        case waiting([CheckedContinuation<SocketAddress, any Error>])
        case bound(SocketAddress)
        case failed(any Error)
    }

    private let state = Mutex<State>(.waiting([]))

    public init() {}

    public func set(_ address: SocketAddress) { resolve(.success(address)) }

    /// The address once bound; nil before (or after a failure).
    public var current: SocketAddress? {
        state.withLock { state in
            if case .bound(let address) = state { return address }
            return nil
        }
    }
    public func fail(_ error: any Error) { resolve(.failure(error)) }

    private func resolve(_ result: Result<SocketAddress, any Error>) {
        let waiters: [CheckedContinuation<SocketAddress, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            switch result {
            case .success(let address): state = .bound(address)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    public func wait() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<SocketAddress, any Error>? = state.withLock { state in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .bound(let address): return .success(address)
                case .failed(let error): return .failure(error)
                }
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }
}
