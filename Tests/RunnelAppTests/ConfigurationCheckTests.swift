import ArgumentParser
import Foundation
import Logging
import RunnelConfig
import RunnelKinesis
import RunnelPipeline
import Testing

@testable import RunnelApp

/// What `--dry-run` reports, `<system>` and `<worker>` sections, and the log level.
@Suite struct ConfigurationCheckTests {
    static func write(_ text: String) throws -> (directory: URL, file: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("fluent.conf").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (directory, file)
    }

    static let manyErrors = """
        <source>
          @type forward
          port notaport
        </source>
        <filter app.**>
        </filter>
        <match b.**>
          @type nosuch
        </match>
        <match k.**>
          @type kinesis_streams
          stream_name s
          region us-east-1
          <buffer>
            chunk_limit_size 1.5m
          </buffer>
        </match>
        <worker 1>
        </worker>

        """

    @Test func dryRunReportsEveryErrorInOnePass() async throws {
        let (directory, file) = try Self.write(Self.manyErrors)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await TestProcess.run(Paths.runnel, ["-c", file, "--dry-run"], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        #expect(result.status == 1, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("runnel: ") }
        #expect(lines.count == 6, "\(result.output)")
        let expected = [
            "\(file):18: worker id 1 specified by <worker> directive is not allowed",
            "\(file):3:3: <source>: parameter 'port' has value \"notaport\"",
            "\(file):5: <filter app.**> has no @type",
            "\(file):8:3: <match b.**>: unknown output type 'nosuch'",
            "\(file):15:5: <buffer>: parameter 'chunk_limit_size' has value \"1.5m\"",
            "5 errors in \(file)",
        ]
        for (line, prefix) in zip(lines, expected) {
            #expect(line.hasPrefix("runnel: " + prefix), "\(line)")
        }
    }

    @Test func strictReportsEveryUnusedParameter() throws {
        let (directory, file) = try Self.write("<match **>\n  @type null\n  regoin x\n  flush_intervl 1\n</match>\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: Logger(label: "test"), strict: true)
        do {
            _ = try runtime.loadPipeline()
            Issue.record("expected errors")
        } catch let errors as ConfigErrors {
            #expect(errors.errors.map(\.location.line) == [3, 4])
            #expect(RunCommand.report(errors, path: file).hasSuffix("runnel: 2 errors in \(file)\n"))
        }
    }

    @Test func workerZeroSectionsRunAndOtherWorkersAreSaidToShareTheProcess() async throws {
        let one = try Self.write("<worker 0>\n  <source>\n    @type forward\n    port 0\n  </source>\n  <match **>\n    @type null\n  </match>\n</worker>\n")
        defer { try? FileManager.default.removeItem(at: one.directory) }
        let pipeline = try RunnelRuntime(configPath: one.file, registry: PluginCatalog.registry(), logger: Logger(label: "test"), strict: true).loadPipeline()
        #expect(pipeline.inputs.map(\.type) == ["forward"])
        #expect(pipeline.outputs.map(\.type) == ["null"])

        let two = try Self.write("<system>\n  workers 2\n</system>\n<worker 1>\n  <match **>\n    @type null\n  </match>\n</worker>\n")
        defer { try? FileManager.default.removeItem(at: two.directory) }
        let result = try await TestProcess.run(Paths.runnel, ["-c", two.file, "--dry-run"])
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.output.contains(
                "<system> workers 2: Runnel runs one worker process; top-level sections run once, and the sections of every <worker> run in it"))
        #expect(result.output.contains("<match **> null"))
    }

    @Test func systemLogLevelUnlessTheCommandLineSetOne() throws {
        let (directory, file) = try Self.write("<system>\n  log_level debug\n</system>\n<match **>\n  @type null\n</match>\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = LogSink.memory()
        let levels = RunnelLogLevel(commandLine: nil)
        let logger = Logger(label: "runnel") { RunnelLogHandler(label: $0, levels: levels, sink: sink) }
        logger.debug("before")
        let runtime = RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: logger, strict: false, logLevels: levels)
        _ = try runtime.loadPipeline()
        #expect(levels.level == .debug)
        logger.debug("after")
        #expect(sink.recorded.count == 1 && sink.recorded[0].contains("[debug]: after"))

        // -q given: the command line wins, as in Fluentd.
        let quiet = RunnelLogLevel(commandLine: .warning)
        _ = try RunnelRuntime(configPath: file, registry: PluginCatalog.registry(), logger: logger, strict: false, logLevels: quiet).loadPipeline()
        #expect(quiet.level == .warning)

        // A logger's own level (a plugin's @log_level) is kept.
        var plugin = Logger(label: "plugin") { RunnelLogHandler(label: $0, levels: levels, sink: sink) }
        plugin.logLevel = .error
        levels.apply(system: .trace)
        #expect(plugin.logLevel == .error)
        #expect(logger.logLevel == .trace)
    }

    @Test(
        arguments: [
            ([], nil), (["-v"], .debug), (["-vv"], .trace), (["-vvv"], .trace), (["-q"], .warning), (["-qq"], .error),
            (["-qqq"], .error), (["-v", "-q"], .info),
        ] as [([String], Logger.Level?)])
    func commandLineLevels(_ flags: [String], _ level: Logger.Level?) throws {
        let command = try RunCommand.parse(["-c", "x.conf"] + flags)
        #expect(command.commandLineLogLevel() == level)
    }

    /// `region "#{ENV['FLUENT_KINESIS_STREAMS_REGION'] || nil}"` is an empty string when the
    /// variable is unset (as in Fluentd); the output then takes AWS_REGION or AWS_DEFAULT_REGION.
    @Test func emptyRegionFallsBackToTheEnvironment() throws {
        let root = try ConfigParser.parse(
            text: "<match **>\n  @type kinesis_streams\n  stream_name s\n  region \"#{ENV['FLUENT_KINESIS_STREAMS_REGION'] || nil}\"\n</match>\n",
            file: "k.conf", environment: [:])
        let match = try #require(root.element(named: "match"))
        #expect(try KinesisConfiguration(from: match, kind: .streams, environment: ["AWS_REGION": "eu-west-1"]).region == "eu-west-1")
        #expect(try KinesisConfiguration(from: match, kind: .streams, environment: ["AWS_DEFAULT_REGION": "ap-south-1"]).region == "ap-south-1")
        #expect(throws: ConfigError.self) { try KinesisConfiguration(from: match, kind: .streams, environment: [:]) }
    }
}
