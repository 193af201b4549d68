#if canImport(Glibc)
    import Glibc
#endif

/// One of Fluentd's HTTP RPC calls (`<system> rpc_endpoint`), by path, and what it does: each is
/// the signal it replaces, sent by the process to itself, so a call and a signal take the same
/// path through the runtime (a second `killWorkers` while stopping exits at once, as a second
/// SIGTERM does).
enum RPCCall: String, CaseIterable, Sendable {
    case interruptWorkers = "/api/processes.interruptWorkers"
    case killWorkers = "/api/processes.killWorkers"
    case flushBuffersAndKillWorkers = "/api/processes.flushBuffersAndKillWorkers"
    case zeroDowntimeRestart = "/api/processes.zeroDowntimeRestart"
    case flushBuffers = "/api/plugins.flushBuffers"
    case reload = "/api/config.reload"
    case gracefulReload = "/api/config.gracefulReload"
    case dump = "/api/config.dump"
    case getDump = "/api/config.getDump"

    /// What the runtime does for a call.
    enum Action: Equatable, Sendable {
        /// Raise this signal in the process.
        case signal(Int32)
        /// Flush every output's buffer (each queued chunk tried once, as SIGUSR1), then raise this signal.
        case flushThenSignal(Int32)
        /// Write the running configuration to Runnel's log.
        case logConfiguration
        /// Answer with the running configuration (secrets masked) under `conf`.
        case answerConfiguration
    }

    var action: Action {
        switch self {
        case .interruptWorkers: .signal(SIGINT)
        case .killWorkers: .signal(SIGTERM)
        case .flushBuffersAndKillWorkers: .flushThenSignal(SIGTERM)
        // Fluentd v1.18's zero-downtime restart is its SIGUSR2, which reloads the configuration
        // here as SIGHUP does.
        case .zeroDowntimeRestart, .gracefulReload: .signal(SIGUSR2)
        case .flushBuffers: .signal(SIGUSR1)
        case .reload: .signal(SIGHUP)
        case .dump: .logConfiguration
        case .getDump: .answerConfiguration
        }
    }

    /// The calls served: `/api/config.getDump` only with `enable_get_dump`, as in Fluentd.
    static func served(enableGetDump: Bool) -> [RPCCall] {
        allCases.filter { $0 != .getDump || enableGetDump }
    }
}
