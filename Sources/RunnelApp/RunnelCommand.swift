import ArgumentParser
import Foundation
import Logging
import RunnelConfig
import RunnelPipeline

/// `runnel`: a Fluentd-compatible log forwarder for Amazon Kinesis.
public struct RunnelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runnel",
        abstract: "A Fluentd-compatible log forwarder for Amazon Kinesis.",
        version: RunnelVersion.string,
        subcommands: [RunCommand.self, CatCommand.self],
        defaultSubcommand: RunCommand.self)

    public init() {}
}

/// `runnel [run] -c FILE [--dry-run]`: runs (or checks) a configuration.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a fluent.conf (the default command).")

    @Option(name: [.short, .customLong("config")], help: "Configuration file (classic fluent.conf or YAML). Default: \(RunnelConfiguration.defaultPath)")
    var config: String?

    @Flag(name: .customLong("dry-run"), help: "Parse and validate the configuration, print the plugin graph, and exit (0 when valid).")
    var dryRun = false

    @Flag(name: .customLong("check-outputs"), help: "With --dry-run: also check that each output's destination exists and is writable.")
    var checkOutputs = false

    @Flag(name: .customLong("strict"), help: "Treat parameters Runnel does not use as errors instead of warnings.")
    var strict = false

    @Flag(name: .short, help: "More log output (-v debug, -vv trace).")
    var verbose: Int

    @Flag(name: .short, help: "Less log output (-q warn, -qq error).")
    var quiet: Int

    public init() {}

    public func run() async throws {
        let level = logLevel()
        let logger = RunnelLogging.bootstrap(level: level)
        let path = config ?? RunnelConfiguration.defaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            logger.critical("configuration file not found", metadata: ["config": "\(path)"])
            throw ExitCode(1)
        }
        let monitoring = Monitoring()
        let registry = PluginCatalog.registry(monitoring: monitoring)
        let runtime = RunnelRuntime(
            configPath: path, registry: registry, logger: logger, strict: strict,
            onPipeline: { monitoring.publish($0) })
        if dryRun {
            do {
                let pipeline = try runtime.loadPipeline()
                print(pipeline.graph)
                if checkOutputs {
                    try await OutputCheck.run(pipeline, logger: logger)
                }
                print("configuration \(path) is valid")
            } catch {
                FileHandle.standardError.write(Data("runnel: \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        monitoring.bootstrapMetrics()
        do {
            try await runtime.run()
        } catch let error as ConfigError {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    func logLevel() -> Logger.Level {
        let levels: [Logger.Level] = [.trace, .debug, .info, .warning, .error]
        let index = max(0, min(levels.count - 1, 2 - verbose + quiet))
        return levels[index]
    }
}

public enum RunnelVersion {
    public static let string = "0.1.0"
}

/// Process-wide logging set-up.
public enum RunnelLogging {
    public static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in RunnelLogHandler(label: label, level: level) }
        var logger = Logger(label: "runnel")
        logger.logLevel = level
        return logger
    }
}

extension RunnelCommand {
    /// Parses the process arguments and runs the chosen command (the executable's entry point).
    public static func start() async {
        await (RunnelCommand.self as any AsyncParsableCommand.Type).main()
    }
}
