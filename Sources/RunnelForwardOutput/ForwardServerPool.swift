import Logging
import Synchronization

/// The `<server>`s of one out_forward and what is known of them: a health state machine and an
/// address cache per server, and the load balancer over them, in one `Mutex` shared by the flush
/// threads and the heartbeat loop. It only carries out the state machines' actions: log a
/// detach or recovery once, rebuild the rotation (the balancer does that when availability changes).
public final class ForwardServerPool: Sendable {
    public let servers: [ForwardOutputConfiguration.Server]
    private let logger: Logger
    /// Seconds on a monotonic scale: injected so tests drive time.
    private let now: @Sendable () -> Double
    /// With neither `expire_dns_cache` nor `dns_round_robin`, NIO resolves the host on each
    /// connection and tries every address (happy eyeballs) instead of the first one only.
    private let resolvesHosts: Bool
    private let state: Mutex<State>

    private struct State: Sendable {
        var health: [ForwardServerHealthStateMachine]
        var addresses: [ForwardAddressCache]
        var balancer: ForwardLoadBalancer
    }

    public init(
        configuration: ForwardOutputConfiguration, logger: Logger, seed: UInt64 = UInt64.random(in: 0...UInt64.max),
        now: @escaping @Sendable () -> Double = ForwardServerPool.monotonicSeconds()
    ) {
        servers = configuration.servers
        self.logger = logger
        self.now = now
        resolvesHosts = configuration.dnsRoundRobin || configuration.expireDNSCache != nil
        let settings = ForwardServerHealthStateMachine.Settings(
            heartbeatInterval: configuration.heartbeatInterval.seconds, hardTimeout: configuration.hardTimeout.seconds,
            phiFailureDetector: configuration.phiFailureDetector, phiThreshold: Double(configuration.phiThreshold),
            recoverWait: configuration.recoverWait.seconds, heartbeats: configuration.heartbeatType != .none)
        let start = now()
        state = Mutex(
            State(
                health: servers.map { _ in ForwardServerHealthStateMachine(settings: settings, now: start) },
                addresses: servers.map { _ in
                    ForwardAddressCache(expiry: configuration.expireDNSCache?.seconds, roundRobin: configuration.dnsRoundRobin)
                },
                balancer: ForwardLoadBalancer(members: servers.map { .init(weight: $0.weight, standby: $0.standby) }, seed: seed)))
    }

    /// The servers to try for the next chunk, in order (indices into `servers`).
    public func candidates() -> [Int] {
        state.withLock { state in state.balancer.candidates(available: state.health.map(\.isAvailable)) }
    }

    public func isAvailable(_ index: Int) -> Bool { state.withLock { $0.health[index].isAvailable } }

    public func sent(_ index: Int) {
        let now = now()
        state.withLock { $0.health[index].sent(now: now) }
    }

    public func failed(_ index: Int, error: any Error) {
        let now = now()
        let action = state.withLock { state in
            let action = state.health[index].failed(now: now)
            if action != .none { state.addresses[index].expire() }
            return action
        }
        report(action, server: index, error: error)
    }

    public func heartbeatArrived(_ index: Int) {
        let now = now()
        report(state.withLock { $0.health[index].heartbeatArrived(now: now) }, server: index)
    }

    /// The heartbeat timer fired: detaches servers whose heartbeats stopped, brings back
    /// (`heartbeat_type none`) those whose `recover_wait` is over.
    public func tick() {
        let now = now()
        let actions = state.withLock { state in
            state.health.indices.map { index in
                let action = state.health[index].tick(now: now)
                if case .detached = action { state.addresses[index].expire() }
                return action
            }
        }
        for (index, action) in actions.enumerated() { report(action, server: index) }
    }

    /// The address to connect to for `index`, resolving its host when the cache says so (the
    /// host itself when NIO resolves it).
    func address(of index: Int) async throws -> String {
        let server = servers[index]
        guard resolvesHosts else { return server.host }
        let now = now()
        if let cached = state.withLock({ $0.addresses[index].needsResolution(now: now) ? nil : $0.addresses[index].pick() }) {
            return cached
        }
        let resolved = try await ForwardHostResolver.addresses(of: server.host, port: server.port)
        guard !resolved.isEmpty else { throw ForwardOutputError.unresolvable(host: server.host, reason: "no address") }
        return state.withLock { state in
            state.addresses[index].store(resolved, now: now)
            return state.addresses[index].pick() ?? resolved[0]
        }
    }

    private func report(_ action: ForwardServerHealthStateMachine.Action, server index: Int, error: (any Error)? = nil) {
        let server = servers[index]
        var metadata: Logger.Metadata = [
            "forward.server": "\(server.name)", "forward.host": "\(server.host)", "forward.port": "\(server.port)",
        ]
        switch action {
        case .none:
            return
        case .detached(let reason):
            switch reason {
            case .hardTimeout: metadata["forward.hard_timeout"] = "true"
            case .phi(let phi): metadata["forward.phi"] = "\(phi)"
            case .sendFailed: metadata["forward.error"] = "\(error.map { "\($0)" } ?? "send failed")"
            }
            logger.warning("Detached forwarding server", metadata: metadata)
        case .recovered:
            logger.warning("Recovered forwarding server", metadata: metadata)
        }
    }

    /// Seconds since the first call, on the continuous clock.
    public static func monotonicSeconds() -> @Sendable () -> Double {
        let start = ContinuousClock.now
        return { (ContinuousClock.now - start).seconds }
    }
}

extension Duration {
    /// The duration in seconds, as the state machines count.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
