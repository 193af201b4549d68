import Logging
import RunnelConfig
import RunnelPipeline
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a configuration until SIGTERM/SIGINT, reloading it on SIGHUP (or SIGUSR2) and flushing
/// every buffer on SIGUSR1. A second SIGTERM/SIGINT while stopping exits at once: what is in
/// file buffers stays there for the next start; memory buffers are lost.
///
/// Services start outputs first and inputs last; swift-service-lifecycle shuts them down in
/// reverse, so on SIGTERM the inputs stop and acknowledge what is in flight before the outputs
/// flush what `flush_at_shutdown` says and the buffers close.
public struct RunnelRuntime: Sendable {
    public var configPath: String
    public var registry: PluginRegistry
    public var logger: Logger
    public var strict: Bool
    /// Set to each configuration's `<system> log_level` (unless `-v`/`-q` chose the level).
    public var logLevels: RunnelLogLevel?
    /// Called with each pipeline before it runs (the monitoring endpoint lists its plugins).
    public var onPipeline: @Sendable (Pipeline) -> Void

    public init(
        configPath: String, registry: PluginRegistry, logger: Logger, strict: Bool, logLevels: RunnelLogLevel? = nil,
        onPipeline: @escaping @Sendable (Pipeline) -> Void = { _ in }
    ) {
        self.configPath = configPath
        self.registry = registry
        self.logger = logger
        self.strict = strict
        self.logLevels = logLevels
        self.onPipeline = onPipeline
    }

    enum Outcome: Sendable {
        case stopped
        /// SIGHUP with a configuration that built: the next pipeline, ready to run.
        case reload(Pipeline)
    }

    /// Loads and builds the configuration, logging warnings for unused parameters.
    public func loadPipeline() throws -> Pipeline {
        let root = try RunnelConfiguration.load(path: configPath)
        // Before the plugins are built, so that what they log follows it (Fluentd applies
        // <system> first too); a bad value is reported by the build.
        if let system = try? SystemConfiguration(root.element(named: "system")) {
            logLevels?.apply(system)
        }
        let pipeline = try PipelineBuilder(registry: registry, logger: logger).build(root)
        try RunnelConfiguration.reportUnused(pipeline, strict: strict, logger: logger)
        return pipeline
    }

    public func run() async throws {
        var pipeline = try loadPipeline()
        let logger = self.logger
        // The first SIGTERM/SIGINT stops the pipeline gracefully (the service group's own
        // handler); a second one while that runs exits now, as Fluentd's does.
        let stopSignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let impatience = Task {
            var stops = 0
            for await signal in stopSignals {
                stops += 1
                guard stops >= 2 else { continue }
                logger.warning(
                    "\(signal == .sigterm ? "SIGTERM" : "SIGINT") again while stopping: exiting now; file buffers keep their chunks for the next start, memory buffers are lost"
                )
                _exit(1)
            }
        }
        defer { impatience.cancel() }
        if let name = pipeline.system.processName { Self.setProcessName(name, logger: logger) }
        let rpc = try await RPCServer.start(serving: pipeline, logger: logger)
        defer { rpc?.stop() }
        logger.info("runnel started", metadata: ["config": "\(configPath)", "inputs": "\(pipeline.inputs.count)", "outputs": "\(pipeline.outputs.count)"])
        while true {
            switch try await runOnce(pipeline) {
            case .stopped:
                logger.info("runnel stopped")
                return
            case .reload(let next):
                pipeline = next
                rpc?.publish(next)
                logger.info("configuration reloaded", metadata: ["config": "\(configPath)"])
            }
        }
    }

    /// `<system> process_name`: the name `ps`, `top` and `pgrep` show (the kernel keeps 15
    /// bytes of it), set once at start as Fluentd sets its process title.
    static func setProcessName(_ name: String, logger: Logger) {
        let comm = String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
        guard let file = fopen("/proc/self/comm", "w") else {
            logger.warning("process_name not set", metadata: ["process_name": "\(name)", "error": "\(String(cString: strerror(errno)))"])
            return
        }
        fputs(comm, file)
        fclose(file)
    }

    /// The services of a pipeline in start order; the group stops them in reverse. Outputs
    /// first; then plugins that hold events and send them into a router later (concat,
    /// detect_exceptions), so that they stop after the inputs and before the outputs their last
    /// events go to; inputs last.
    static func services(_ pipeline: Pipeline) -> [any Service] {
        var services: [any Service] = []
        for output in pipeline.outputs where !(output.plugin is any HoldingPlugin) { services.append(output.plugin) }
        for output in pipeline.outputs where output.plugin is any HoldingPlugin { services.append(output.plugin) }
        for filter in pipeline.filters { if let holding = filter.plugin as? any HoldingPlugin { services.append(holding) } }
        for input in pipeline.inputs { services.append(input.plugin) }
        return services
    }

    func runOnce(_ pipeline: Pipeline) async throws -> Outcome {
        onPipeline(pipeline)
        let services = RunnelRuntime.services(pipeline).map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        configuration.logging.keys.serviceKey = "service"
        let group = ServiceGroup(configuration: configuration)
        let outputs = pipeline.outputs.map(\.plugin)
        let logger = self.logger
        let runtime = self

        // Set before the group is asked to stop, so a reload is never mistaken for a stop when the
        // group finishes before the signal task does.
        let reload = PendingReload()
        // Trapped before any service starts: a signal that came while the inputs were starting
        // would otherwise end the process (the default action of SIGHUP, SIGUSR1 and SIGUSR2).
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1, .sigusr2)
        return try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask {
                for await signal in signals {
                    if signal == .sigusr1 {
                        logger.info("SIGUSR1: flushing all buffers")
                        for output in outputs { await output.flushNow() }
                        continue
                    }
                    // SIGHUP, or SIGUSR2 (Fluentd's graceful reload, the same here): the new
                    // pipeline is built (and checked) before anything running stops;
                    // building touches no socket and no buffer file, so a file that fails to build
                    // leaves the running pipeline, its connections and its buffers as they are.
                    let next: Pipeline
                    do {
                        next = try runtime.loadPipeline()
                    } catch {
                        runtime.logLevels?.apply(pipeline.system)
                        logger.error(
                            "\(signal == .sigusr2 ? "SIGUSR2" : "SIGHUP"): configuration not reloaded; the running one goes on", metadata: ["error": "\(error)"]
                        )
                        continue
                    }
                    logger.info("\(signal == .sigusr2 ? "SIGUSR2" : "SIGHUP"): reloading configuration")
                    reload.pipeline.withLock { $0 = next }
                    await group.triggerGracefulShutdown()
                    return false
                }
                return false
            }
            while let groupFinished = try await tasks.next(), !groupFinished {}
            tasks.cancelAll()
            return reload.pipeline.withLock { $0 }.map(Outcome.reload) ?? .stopped
        }
    }
}

/// The pipeline a SIGHUP built, waiting for the running one to stop.
private final class PendingReload: Sendable {
    let pipeline = Mutex<Pipeline?>(nil)
}
