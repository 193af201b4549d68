import Synchronization

/// Which timeout bounds a connection now: `send_timeout` while connecting and writing,
/// `ack_response_timeout` from the moment a message is written, `keepalive_timeout` while a kept
/// connection waits for the next chunk.
final class ForwardSendPhase: Sendable {
    enum Phase: Sendable, Equatable {
        case sending, awaitingAck, idle
    }

    private let state: Mutex<(phase: Phase, since: ContinuousClock.Instant)>

    init(_ phase: Phase = .sending) { state = Mutex((phase, .now)) }

    func enter(_ phase: Phase) { state.withLock { $0 = (phase, .now) } }

    var current: (phase: Phase, since: ContinuousClock.Instant) { state.withLock { $0 } }
}

/// Runs `operation`, cancelling it once the limit of its current phase has passed: a send or ack
/// timeout throws, an idle timeout (`idle`, nil for none) only ends it.
func withDeadline(
    phase: ForwardSendPhase, send: Duration, ack: Duration, idle: Duration? = nil,
    _ operation: @escaping @Sendable () async throws -> Void
) async throws {
    enum Outcome: Sendable {
        case finished, idle
        case timedOut(ForwardOutputError)
    }
    try await withThrowingTaskGroup(of: Outcome.self) { group in
        group.addTask {
            try await operation()
            return .finished
        }
        group.addTask {
            while true {
                let (current, since) = phase.current
                let limit: Duration? =
                    switch current {
                    case .sending: send
                    case .awaitingAck: ack
                    case .idle: idle
                    }
                if let limit, ContinuousClock.now >= since + limit {
                    switch current {
                    case .sending: return .timedOut(.sendTimeout(seconds: send.seconds))
                    case .awaitingAck: return .timedOut(.ackTimeout(seconds: ack.seconds))
                    case .idle: return .idle
                    }
                }
                // Wake at least every second to see a change of phase.
                let wake = limit.map { min(since + $0, .now + .seconds(1)) } ?? .now + .seconds(1)
                try await Task.sleep(until: wake)
            }
        }
        defer { group.cancelAll() }
        if case .timedOut(let error) = try await group.next() { throw error }
    }
}
