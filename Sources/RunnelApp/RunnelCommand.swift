import ArgumentParser
import Foundation
import Logging
import RunnelConfig
import RunnelMonitor
import RunnelPipeline

/// `runnel`: a Fluentd-compatible log forwarder for Amazon Kinesis.
public struct RunnelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runnel",
        abstract: "A Fluentd-compatible log forwarder for Amazon Kinesis.",
        version: RunnelVersion.string,
        subcommands: [RunCommand.self, CatCommand.self, StreamsCommand.self],
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

    @Flag(
        name: [.customLong("check"), .customLong("check-outputs")],
        help:
            "With --dry-run: also check that each output's destination exists and is writable and each Kinesis source readable (--check-outputs is the older name)."
    )
    var checkOutputs = false

    @Flag(name: .customLong("strict"), help: "Treat parameters Runnel does not use as errors instead of warnings.")
    var strict = false

    @Flag(name: .short, help: "More log output (-v debug, -vv trace).")
    var verbose: Int

    @Flag(name: .short, help: "Less log output (-q warn, -qq error).")
    var quiet: Int

    public init() {}

    public func run() async throws {
        let levels = RunnelLogLevel(commandLine: commandLineLogLevel())
        let logger = RunnelLogging.bootstrap(levels: levels)
        let path = config ?? RunnelConfiguration.defaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            logger.critical("configuration file not found", metadata: ["config": "\(path)"])
            throw ExitCode(1)
        }
        let monitoring = Monitoring()
        let registry = PluginCatalog.registry(monitoring: monitoring)
        let runtime = RunnelRuntime(
            configPath: path, registry: registry, logger: logger, strict: strict, logLevels: levels,
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
                FileHandle.standardError.write(Data(Self.report(error, path: path).utf8))
                throw ExitCode(1)
            }
            return
        }
        monitoring.bootstrapMetrics()
        do {
            try await runtime.run()
        } catch let error where ConfigErrors.list(error) != nil {
            for each in ConfigErrors.list(error)! {
                logger.critical("invalid configuration", metadata: ["error": "\(each)"])
            }
            throw ExitCode(1)
        } catch let error as RPCServerError {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    /// What `--dry-run` prints for an invalid configuration: each error on its own line, then
    /// how many there are.
    static func report(_ error: any Error, path: String) -> String {
        guard let errors = ConfigErrors.list(error) else { return "runnel: \(error)\n" }
        var text = errors.map { "runnel: \($0)\n" }.joined()
        if errors.count > 1 { text += "runnel: \(errors.count) errors in \(path)\n" }
        return text
    }

    /// The level `-v`/`-q` ask for (`-v` debug, `-vv` trace, `-q` warn, `-qq` error, from info,
    /// as Fluentd's), or nil when neither is given and `<system> log_level` decides.
    func commandLineLogLevel() -> Logger.Level? {
        guard verbose > 0 || quiet > 0 else { return nil }
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
    public static func bootstrap(levels: RunnelLogLevel) -> Logger {
        LoggingSystem.bootstrap { label in RunnelLogHandler(label: label, levels: levels) }
        return Logger(label: "runnel")
    }
}

extension RunnelCommand {
    /// Parses the process arguments and runs the chosen command (the executable's entry point).
    public static func start() async {
        await (RunnelCommand.self as any AsyncParsableCommand.Type).main()
    }
}
