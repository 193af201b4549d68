import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelKinesis

/// `runnel streams list|describe|sample|tail`: looks inside Kinesis data streams with the
/// credentials an output would use (the default chain, a profile, an assumed role).
struct StreamsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams",
        abstract: "List, describe and read Kinesis data streams.",
        subcommands: [List.self, Describe.self, Sample.self, Tail.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every stream (ListStreams, all pages).")
        @OptionGroup var options: StreamsOptions

        func run() async throws {
            try await options.withReader { reader in
                let names = try await reader.listStreams()
                print(options.json ? StreamsReport.json(names) : StreamsReport.table(names))
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Status, mode, shards with their hash ranges, retention, encryption and consumers of a stream.")
        @OptionGroup var options: StreamsOptions
        @Argument(help: "The stream's name.") var stream: String

        func run() async throws {
            try await options.withReader { reader in
                let summary = try await reader.describe(stream: stream)
                let shards = try await reader.listShards(stream: stream)
                let consumers = summary.arn.isEmpty ? [] : (try? await reader.listConsumers(streamARN: summary.arn, stream: stream)) ?? []
                let report = StreamsReport.Description(summary: summary, shards: shards, consumers: consumers)
                print(options.json ? report.json : report.table)
            }
        }
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print records from across a stream's shards (KPL aggregates split), then exit.")
        @OptionGroup var options: StreamsOptions
        @Argument(help: "The stream's name.") var stream: String
        @Option(name: [.customShort("n"), .customLong("count")], help: "How many records.") var count = 10
        @Option(help: "Where to start: trim_horizon (the oldest record kept), latest, or a time (ISO 8601, or epoch seconds).")
        var from = "trim_horizon"

        func validate() throws {
            _ = try StreamsOptions.position(from)
            guard count > 0 else { throw ValidationError("-n must be at least 1") }
        }

        func run() async throws {
            let position = try StreamsOptions.position(from)
            try await options.withReader { reader in
                var follower = try await ShardFollower(reader: reader, stream: stream, position: position, follow: false)
                var printed = 0
                while printed < count, let batch = try await follower.next() {
                    for record in batch.prefix(count - printed) {
                        print(options.json ? record.json : record.line)
                        printed += 1
                    }
                }
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a stream's records as they arrive, like tail -f, until interrupted.")
        @OptionGroup var options: StreamsOptions
        @Argument(help: "The stream's name.") var stream: String
        @Option(help: "Where to start: latest (default), trim_horizon, or a time (ISO 8601, or epoch seconds).")
        var from = "latest"

        func validate() throws { _ = try StreamsOptions.position(from) }

        func run() async throws {
            let position = try StreamsOptions.position(from)
            try await options.withReader { reader in
                var follower = try await ShardFollower(reader: reader, stream: stream, position: position, follow: true)
                while let batch = try await follower.next() {
                    for record in batch { print(options.json ? record.json : record.line) }
                    fflush(nil)
                }
            }
        }
    }
}

/// The options every `runnel streams` command takes: where, and as whom.
struct StreamsOptions: ParsableArguments {
    @Option(help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region).") var region: String?
    @Option(help: "Kinesis API endpoint, e.g. http://127.0.0.1:4567 (default: the region's).") var endpoint: String?
    @Option(help: "Profile of ~/.aws/credentials and ~/.aws/config (default: the default chain).") var profile: String?
    @Option(name: .customLong("role-arn"), help: "Assume this role (with the credentials above) before reading.") var roleARN: String?
    @Option(name: .customLong("external-id"), help: "With --role-arn: the external ID the role's trust policy asks for.")
    var externalID: String?
    @Option(name: .customLong("source-identity"), help: "With --role-arn: the session's source identity.") var sourceIdentity: String?
    @Flag(help: "JSON for scripts instead of a table for people.") var json = false

    func validate() throws {
        if roleARN == nil, externalID != nil || sourceIdentity != nil {
            throw ValidationError("--external-id and --source-identity need --role-arn")
        }
        if let endpoint, URL(string: endpoint)?.host == nil { throw ValidationError("--endpoint \(endpoint) is not a URL") }
    }

    /// `latest`, `trim_horizon`, an ISO 8601 time, or epoch seconds (`1700000000`, `1700000000.5`).
    static func position(_ text: String) throws -> KinesisStreamReader.Position {
        guard let position = KinesisStreamReader.Position(parsing: text) else {
            throw ValidationError("--from \(text): expected latest, trim_horizon, an ISO 8601 time or epoch seconds")
        }
        return position
    }

    var credentialSource: AWSCredentialsConfiguration.Source {
        let base: AWSCredentialsConfiguration.Source = profile.map { .sharedCredentials(profile: $0, path: nil) } ?? .defaultChain
        guard let roleARN else { return base }
        var role = AWSCredentialsConfiguration.AssumeRole(roleARN: roleARN)
        role.externalID = externalID
        role.sourceIdentity = sourceIdentity
        return .assumeRole(role, source: base)
    }

    /// Runs `body` with a reader for these options; an AWS or credential failure is printed as
    /// one line naming the stream, the region and AWS' message, and exits 1.
    func withReader(_ body: (KinesisStreamReader) async throws -> Void) async throws {
        let environment = ProcessInfoEnvironment.current
        // Only what goes wrong: the records and tables are the output.
        var logger = Logger(label: "runnel.streams")
        logger.logLevel = .warning
        guard let region = try await AWSRegionResolver.resolve(parameter: region, environment: environment, profile: profile) else {
            throw ValidationError("no region: pass --region, or set AWS_REGION")
        }
        var configuration = KinesisConfiguration(kind: .streams, streamName: "", region: region)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration.httpClientConfiguration(environment: environment))
        configuration.endpoint = endpoint.flatMap(URL.init(string:))
        do {
            var credentialConfiguration = AWSCredentialsConfiguration(source: credentialSource, region: region)
            credentialConfiguration.processTimeout = 60
            let credentials = try makeCredentialProvider(credentialConfiguration, httpClient: httpClient, logger: logger, environment: environment)
            let reader = KinesisStreamReader(region: region, endpoint: configuration.endpoint, httpClient: httpClient, credentials: credentials)
            try await body(reader)
        } catch let error as KinesisError {
            try? await httpClient.shutdown()
            FileHandle.standardError.write(Data("runnel streams: \(error)\n".utf8))
            throw ExitCode(1)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try? await httpClient.shutdown()
    }
}
