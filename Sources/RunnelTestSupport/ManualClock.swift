import Foundation
import Synchronization

/// A clock the test moves by hand: a `Clock` for code generic over clocks (`any Clock<Duration>`,
/// RunnelBuffer's `BufferClock`), and a wall-clock `Date` for code that takes a `now` function
/// (credential expiry), both driven by the same offset.
///
/// Every sleep is remembered (`sleeps`), so retry and backoff timing is asserted without waiting.
/// What a sleep does is chosen at creation:
/// - `.waitsForAdvance`: the sleeper wakes when `advance(by:)` passes its deadline, or throws
///   `CancellationError` when its task is cancelled, as a real clock's sleep does;
/// - `.returnsAtOnce`: the sleep moves the clock to its deadline and returns, for code whose
///   waits the test only wants to count.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, CustomStringConvertible {
        /// Time since the clock was made.
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "ManualClock.Instant(\(offset))" }
    }

    public enum SleepBehaviour: Sendable {
        case waitsForAdvance
        case returnsAtOnce
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleeps: [Duration] = []
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())
    private let behaviour: SleepBehaviour
    /// The wall-clock time at offset zero.
    public let wallOrigin: Date

    /// - Parameters:
    ///   - sleep: what `sleep(until:)` does (see the type's documentation).
    ///   - wallOrigin: the `date` at offset zero; a fixed default keeps dates in tests reproducible.
    public init(sleep: SleepBehaviour = .waitsForAdvance, wallOrigin: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        behaviour = sleep
        self.wallOrigin = wallOrigin
    }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// The length of every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// How many sleepers wait for the clock to pass their deadline.
    public var waitingSleepers: Int { state.withLock { $0.sleepers.count } }

    /// The wall-clock time: `wallOrigin` plus the time the clock has moved.
    public var date: Date {
        let offset = now.offset.components
        return wallOrigin.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) / 1e18)
    }

    /// `date` as a function, for code that takes `now: @Sendable () -> Date`.
    public var dateFunction: @Sendable () -> Date { { [self] in self.date } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        switch behaviour {
        case .returnsAtOnce:
            try Task.checkCancellation()
            state.withLock { state in
                state.sleeps.append(state.now.duration(to: deadline))
                if state.now < deadline { state.now = deadline }
            }
        case .waitsForAdvance:
            try await waitForAdvance(until: deadline)
        }
    }

    private func waitForAdvance(until deadline: Instant) async throws {
        let id = state.withLock { state in
            state.sleeps.append(state.now.duration(to: deadline))
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Next { case ready, cancelled, wait }
                let next = state.withLock { state -> Next in
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    if deadline <= state.now { return .ready }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .wait
                }
                switch next {
                case .ready: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline it passed.
    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
