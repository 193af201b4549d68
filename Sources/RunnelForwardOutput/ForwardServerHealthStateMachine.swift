/// Whether one `<server>` may be sent to: out_forward's `Node#tick`, `#heartbeat` and
/// `#disable!` as a value. A heartbeat timer calls `tick`, heartbeat answers call
/// `heartbeatArrived`, sends report `sent` and `failed`; each returns what changed, so the
/// caller rebuilds the load balancer and logs exactly then. Times are seconds on a monotonic
/// scale passed in; nothing here reads a clock or touches a socket.
public struct ForwardServerHealthStateMachine: Sendable {
    /// What an event changed.
    public enum Action: Sendable, Equatable {
        case none
        /// The server was taken out of the rotation.
        case detached(reason: DetachReason)
        /// The server is back in the rotation.
        case recovered
    }

    public enum DetachReason: Sendable, Equatable {
        /// No heartbeat for `hard_timeout`.
        case hardTimeout
        /// The failure detector's phi went over `phi_threshold`.
        case phi(Double)
        /// A connection, handshake, send or ack failed.
        case sendFailed
    }

    public struct Settings: Sendable {
        public var heartbeatInterval: Double
        public var hardTimeout: Double
        public var phiFailureDetector: Bool
        public var phiThreshold: Double
        public var recoverWait: Double
        /// `heartbeat_type none`: no heartbeats, so a failed server comes back `recover_wait`
        /// after its failure instead of after `recover_wait / heartbeat_interval` heartbeats.
        public var heartbeats: Bool

        public init(
            heartbeatInterval: Double = 1, hardTimeout: Double = 60, phiFailureDetector: Bool = true, phiThreshold: Double = 16,
            recoverWait: Double = 10, heartbeats: Bool = true
        ) {
            self.heartbeatInterval = heartbeatInterval
            self.hardTimeout = hardTimeout
            self.phiFailureDetector = phiFailureDetector
            self.phiThreshold = phiThreshold
            self.recoverWait = recoverWait
            self.heartbeats = heartbeats
        }

        /// Heartbeats a detached server must answer before it is back (Fluentd's `recover_sample_size`).
        var recoverSampleSize: Double { recoverWait / heartbeatInterval }
    }

    private enum State: Sendable {
        case available
        /// Out of the rotation; `since` is when it was detached.
        case unavailable(since: Double)
    }

    public let settings: Settings
    private var state: State = .available
    private var detector: PhiAccrualFailureDetector

    public init(settings: Settings, now: Double) {
        self.settings = settings
        detector = PhiAccrualFailureDetector(heartbeatInterval: settings.heartbeatInterval, hardTimeout: settings.hardTimeout, now: now)
    }

    public var isAvailable: Bool {
        if case .available = state { return true }
        return false
    }

    /// The heartbeat timer fired.
    public mutating func tick(now: Double) -> Action {
        switch state {
        case .unavailable(let since):
            if !settings.heartbeats {
                guard now - since >= settings.recoverWait else { return .none }
                state = .available
                return .recovered
            }
            if detector.isHardTimeout(now: now) { detector.clear() }
            return .none
        case .available:
            guard settings.heartbeats else { return .none }
            if detector.isHardTimeout(now: now) { return detach(.hardTimeout, now: now) }
            if settings.phiFailureDetector {
                let phi = detector.phi(now: now)
                if phi > settings.phiThreshold { return detach(.phi(phi), now: now) }
            }
            return .none
        }
    }

    /// The server answered a heartbeat.
    public mutating func heartbeatArrived(now: Double) -> Action {
        detector.add(now: now)
        guard case .unavailable = state, settings.heartbeats, Double(detector.sampleCount) > settings.recoverSampleSize else {
            return .none
        }
        state = .available
        return .recovered
    }

    /// A chunk went through: as good as a heartbeat for the detector, but never a recovery.
    public mutating func sent(now: Double) {
        detector.add(now: now)
    }

    /// A connection, send or ack failed.
    public mutating func failed(now: Double) -> Action {
        guard case .available = state else { return .none }
        return detach(.sendFailed, now: now)
    }

    private mutating func detach(_ reason: DetachReason, now: Double) -> Action {
        state = .unavailable(since: now)
        detector.clear()
        return .detached(reason: reason)
    }
}
