import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOPosix
import RunnelAWS
import RunnelConfig
import RunnelCore
import RunnelKinesis
import RunnelParsers
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type kinesis_streams`: reads every shard of a stream (`ShardFollower`: children
/// after their parents, KPL aggregates split) and emits each record's data as parsed by
/// `<parse>`. At least once: a shard's checkpoint advances only after the events read from it
/// were taken by every buffer they were routed to; after a crash the records since the last
/// checkpoint are read again. Data that does not parse goes to `@ERROR` as `{"message": data}`
/// (base64 under `data_base64` when it is not UTF-8), counted, and never stops the shard.
public final class KinesisStreamsInput: InputPlugin, Sendable {
    public let configuration: KinesisStreamsInputConfiguration
    let reader: KinesisStreamReader
    let httpClient: HTTPClient
    let parserTemplate: any LineParser
    let sink: any EventSink
    let errorSink: (any EventSink)?
    let logger: Logger
    let checkpointFile: ShardCheckpointFile?
    /// `<storage> @type dynamodb`: the lease table, instead of the checkpoint file.
    let leaseTable: LeaseTable?
    let unparsedCounter: Counter
    let clientOpen = Mutex(true)
    let limiter = LogRateLimiter(interval: 60, reasonKey: "kinesis.reason", suppressedKey: "kinesis.suppressed")

    init(
        configuration: KinesisStreamsInputConfiguration, parser: any LineParser, sink: any EventSink, errorSink: (any EventSink)?,
        logger: Logger, id: String, environment: [String: String]
    ) throws {
        self.configuration = configuration
        parserTemplate = parser
        self.sink = sink
        self.errorSink = errorSink
        self.logger = logger
        checkpointFile = configuration.checkpointPath.map { ShardCheckpointFile(path: $0, permission: configuration.filePermission) }
        unparsedCounter = Counter(
            label: "runnel_kinesis_input_unparsed_records_total", dimensions: [("plugin_id", id), ("stream", configuration.streamName)])
        httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: configuration.streams.httpClientConfiguration(environment: environment))
        do {
            var credentials = configuration.credentials
            credentials.region = credentials.region ?? configuration.streams.region
            let provider = try makeCredentialProvider(credentials, httpClient: httpClient, logger: logger, environment: environment)
            reader = KinesisStreamReader(
                region: configuration.streams.region, endpoint: configuration.streams.endpoint, httpClient: httpClient, credentials: provider,
                timeout: configuration.streams.requestTimeout)
            let client = httpClient
            leaseTable = configuration.leases.map {
                LeaseTable(table: $0.table, region: $0.region, endpoint: $0.endpoint, httpClient: client, credentials: provider)
            }
        } catch {
            try? httpClient.syncShutdown()
            throw error
        }
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.read()
            }
        } catch is CancellationError {
        } catch {
            await closeClient()
            throw error
        }
        await closeClient()
    }

    func closeClient() async {
        guard
            clientOpen.withLock({ open in
                defer { open = false }; return open
            })
        else { return }
        try? await httpClient.shutdown()
    }

    /// A pipeline built and never run (`--dry-run`, a reload that was replaced) still releases its client.
    deinit {
        if clientOpen.withLock({ $0 }) { httpClient.shutdown(queue: .global()) { _ in } }
    }

    /// Reads until cancelled; a failure of the API is logged and the reading starts again from
    /// the checkpoints after a pause, growing to a minute.
    func read() async throws {
        if let leaseTable, let settings = configuration.leases {
            try await readLeased(leaseTable, settings)
            return
        }
        var checkpoints = try checkpointFile?.load(stream: configuration.streamName) ?? ShardCheckpoints(stream: configuration.streamName)
        try await retrying { pause in
            var follower = try await ShardFollower(
                reader: reader, stream: configuration.streamName, position: configuration.initPosition, follow: true,
                resume: checkpoints.sequenceNumbers, finished: checkpoints.finished)
            logger.info("reading Kinesis stream", metadata: ["kinesis.stream": "\(configuration.streamName)", "kinesis.region": "\(reader.region)"])
            var parsers: [String: any LineParser] = [:]
            while let batch = try await follower.next() {
                try await emit(batch, parsers: &parsers)
                for record in batch { checkpoints.sequenceNumbers[record.shardID] = record.sequenceNumber }
                checkpoints.finished.formUnion(follower.finished)
                await save(checkpoints)
                pause = .seconds(1)
            }
        }
    }

    /// Runs `attempt` until it returns or the task is cancelled. A failure of the Kinesis API or
    /// of the lease table is logged and `attempt` starts again (from the checkpoints) after a
    /// pause that doubles up to a minute; `attempt` sets the pause back when it makes progress.
    func retrying(_ attempt: (inout Duration) async throws -> Void) async throws {
        var pause = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                try await attempt(&pause)
                return
            } catch let error as LeaseTable.TableError {
                logger.error("Kinesis leases not kept; trying again", metadata: ["error": "\(error)", "kinesis.retry_in": "\(pause)"])
            } catch let error as KinesisError {
                logger.error("Kinesis stream not read; trying again", metadata: ["error": "\(error)", "kinesis.retry_in": "\(pause)"])
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(60))
        }
    }

    /// Writes the checkpoint file on NIO's thread pool (it fsyncs), never on the cooperative pool.
    func save(_ checkpoints: ShardCheckpoints) async {
        guard let checkpointFile else { return }
        do {
            try await NIOThreadPool.singleton.runIfActive { try checkpointFile.save(checkpoints) }
        } catch {
            limiter.log(logger, level: .error, "checkpoint not saved", reason: "write failed", metadata: ["error": "\(error)"])
        }
    }

    /// Parses each record into its shard's tag and emits; returns once every stream was taken.
    func emit(_ batch: [StreamRecord], parsers: inout [String: any LineParser]) async throws {
        var builders: [String: EventStreamBuilder] = [:]
        var unparsed = EventStreamBuilder(tag: configuration.tag(shard: "error"))
        for record in batch {
            var parser = parsers[record.shardID] ?? parserTemplate
            let now = record.arrival.map { EventTime(timeInterval: $0.timeIntervalSince1970) } ?? EventTime.now()
            var output = ParserOutput(tag: configuration.tag(shard: record.shardID))
            let outcome = record.data.withUnsafeBytes { parser.parse($0, now: now, into: &output) }
            parsers[record.shardID] = parser
            if outcome == .unmatched {
                let message: (String, MessagePackValue) =
                    String(validating: record.data, as: UTF8.self).map { ("message", .string($0)) }
                    ?? ("data_base64", .string(Data(record.data).base64EncodedString()))
                unparsed.append(time: now, fields: [message] + metadata(record))
                limiter.log(
                    logger, level: .warning, "Kinesis record data does not parse; sent to @ERROR", reason: "unparsed",
                    metadata: ["kinesis.shard": "\(record.shardID)", "kinesis.sequence_number": "\(record.sequenceNumber)"])
                continue
            }
            var stream = output.take()
            if configuration.includeMetadata, !stream.isEmpty {
                stream = stream.settingFields(metadata(record).map { (key: $0.0, value: $0.1) }, merge: .replace)
            }
            builders[stream.tag, default: EventStreamBuilder(tag: stream.tag)].append(encodedEntries: stream.entries, count: stream.count)
        }
        for tag in builders.keys.sorted() {
            guard var builder = builders[tag] else { continue }
            try await sink.emitRetrying(builder.take(), isStopping: { Task.isCancelled })
        }
        if unparsed.count > 0 {
            unparsedCounter.increment(by: unparsed.count)
            if let errorSink { try await errorSink.emitRetrying(unparsed.take(), isStopping: { Task.isCancelled }) }
        }
    }

    func metadata(_ record: StreamRecord) -> [(String, MessagePackValue)] {
        guard configuration.includeMetadata else { return [] }
        var fields: [(String, MessagePackValue)] = [
            (configuration.partitionKeyKey, .string(record.partitionKey)),
            (configuration.sequenceNumberKey, .string(record.sequenceNumber)),
            (configuration.shardIDKey, .string(record.shardID)),
        ]
        if let arrival = record.arrival { fields.append((configuration.arrivalTimeKey, .double(arrival.timeIntervalSince1970))) }
        return fields
    }

}

extension KinesisStreamsInput {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        var configuration = try KinesisStreamsInputConfiguration(context.element, rootDirectory: context.system.rootDirectory, id: context.id)
        configuration.filePermission = context.system.filePermission
        let parser = try ParserRegistry.makeParser(pluginSection: context.element, defaultType: "json")
        if configuration.checkpointPath == nil, configuration.leases == nil {
            context.logger.warning(
                "no <storage> path and no <system> root_dir: checkpoints last only while Runnel runs; a restart starts at init_position",
                metadata: ["plugin_id": "\(context.id)"])
        }
        return try KinesisStreamsInput(
            configuration: configuration, parser: parser, sink: context.router, errorSink: context.errorRouter, logger: context.logger,
            id: context.id, environment: ProcessInfo.processInfo.environment)
    }
}

extension KinesisStreamsInput: SourceCheckable {
    /// `--check`: the stream is ACTIVE (or UPDATING), the credentials can read it (GetShardIterator
    /// on its first open shard), and the checkpoint file can be written where it is kept.
    public func checkSource() async throws -> String {
        let stream = configuration.streamName
        let summary = try await reader.describe(stream: stream)
        guard summary.status == "ACTIVE" || summary.status == "UPDATING" else {
            throw CheckpointError("stream '\(stream)' in \(reader.region) is \(summary.status), not ACTIVE: it cannot be read yet")
        }
        let shards = try await reader.listShards(stream: stream)
        guard let shard = shards.first(where: \.isOpen) ?? shards.first else {
            throw CheckpointError("stream '\(stream)' in \(reader.region) has no shards")
        }
        _ = try await reader.shardIterator(stream: stream, shard: shard.id, from: .latest)
        var checkpointNote = "checkpoints only in memory"
        if let leaseTable {
            checkpointNote =
                try await leaseTable.exists()
                ? "leases in DynamoDB table '\(leaseTable.table)'" : "lease table '\(leaseTable.table)' does not exist yet: it is created at start"
        } else if let checkpointFile {
            let existing = try checkpointFile.load(stream: stream)
            try checkpointFile.save(existing ?? ShardCheckpoints(stream: stream))
            if existing == nil { try? FileManager.default.removeItem(atPath: checkpointFile.path) }
            checkpointNote = "checkpoints in \(checkpointFile.path)"
        }
        return "stream '\(stream)' in \(reader.region) is \(summary.status) with \(summary.openShardCount) open shards and readable; \(checkpointNote)"
    }
}
