import Logging
import RunnelConfig
import RunnelPipeline
import ServiceLifecycle
import UnixSignals

/// Runs a configuration until SIGTERM/SIGINT, reloading it on SIGHUP and flushing every buffer
/// on SIGUSR1.
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
        case reload
    }

    /// Loads and builds the configuration, logging warnings for unused parameters.
    public func loadPipeline() throws -> Pipeline {
        let root = try RunnelConfiguration.load(path: configPath)
        // Before the plugins are built, so that what they log follows it (Fluentd applies
        // <system> first too); a bad value is reported by the build.
        if let system = try? SystemConfiguration(root.element(named: "system")) {
            logLevels?.apply(system: system.logLevel)
        }
        let pipeline = try PipelineBuilder(registry: registry, logger: logger).build(root)
        try RunnelConfiguration.reportUnused(pipeline, strict: strict, logger: logger)
        return pipeline
    }

    public func run() async throws {
        var pipeline = try loadPipeline()
        logger.info("runnel started", metadata: ["config": "\(configPath)", "inputs": "\(pipeline.inputs.count)", "outputs": "\(pipeline.outputs.count)"])
        while true {
            switch try await runOnce(pipeline) {
            case .stopped:
                logger.info("runnel stopped")
                return
            case .reload:
                do {
                    pipeline = try loadPipeline()
                    logger.info("configuration reloaded", metadata: ["config": "\(configPath)"])
                } catch {
                    // The running configuration was already stopped: start it again rather than stop forwarding.
                    logger.error("reloaded configuration is invalid; keeping the previous one", metadata: ["error": "\(error)"])
                    pipeline = try rebuild(pipeline)
                }
            }
        }
    }

    /// Builds the pipeline of the configuration that was running before a failed reload.
    func rebuild(_ previous: Pipeline) throws -> Pipeline {
        logLevels?.apply(system: previous.system.logLevel)
        return try PipelineBuilder(registry: registry, logger: logger).build(previous.root)
    }

    func runOnce(_ pipeline: Pipeline) async throws -> Outcome {
        onPipeline(pipeline)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for output in pipeline.outputs {
            services.append(.init(service: output.plugin, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        for input in pipeline.inputs {
            services.append(.init(service: input.plugin, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        configuration.logging.keys.serviceKey = "service"
        let group = ServiceGroup(configuration: configuration)
        let outputs = pipeline.outputs.map(\.plugin)
        let logger = self.logger
        let configPath = self.configPath

        return try await withThrowingTaskGroup(of: Outcome?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return .stopped
            }
            tasks.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sighup, .sigusr1) {
                    if signal == .sigusr1 {
                        logger.info("SIGUSR1: flushing all buffers")
                        for output in outputs { await output.flushNow() }
                        continue
                    }
                    // SIGHUP: check the new file parses before stopping what runs.
                    do {
                        _ = try RunnelConfiguration.load(path: configPath)
                    } catch {
                        logger.error("SIGHUP: configuration not reloaded", metadata: ["error": "\(error)"])
                        continue
                    }
                    logger.info("SIGHUP: reloading configuration")
                    await group.triggerGracefulShutdown()
                    return .reload
                }
                return nil
            }
            var outcome: Outcome = .stopped
            var groupFinished = false
            while !groupFinished, let result = try await tasks.next() {
                switch result {
                case .reload?: outcome = .reload
                case .stopped?: groupFinished = true
                case nil: break
                }
            }
            tasks.cancelAll()
            return outcome
        }
    }
}
