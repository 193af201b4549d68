import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelCore
import RunnelFormat

/// The `ChunkSender` behind all three Kinesis outputs (`configuration.kind` picks PutRecords,
/// KPL-aggregated PutRecords or PutRecordBatch): formats a chunk's pending records, cuts them
/// into requests, sends them with per-record retries, and says which entries were accepted.
public struct KinesisSender: ChunkSender {
    public let configuration: KinesisConfiguration
    let client: KinesisClient
    let logger: Logger
    let clock: any Clock<Duration>
    /// Uniform in [0, 1): the jitter of the backoff (injected for tests).
    let jitter: @Sendable () -> Double
    let metrics: KinesisMetrics
    let warnings: LogRateLimiter
    /// With `adaptive_pacing`: the learned rate of each stream.
    let pacers: ThroughputPacers?
    /// When the destination last answered, across flush threads.
    let lastAnswer = LastAnswer()

    public init(
        configuration: KinesisConfiguration, credentials: any CredentialProvider, httpClient: HTTPClient,
        logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.client = KinesisClient(configuration: configuration, httpClient: httpClient, credentials: credentials, now: now)
        var logger = logger
        logger[metadataKey: "kinesis.output"] = "\(configuration.kind.rawValue)"
        self.logger = logger
        self.clock = clock
        self.jitter = jitter
        self.metrics = KinesisMetrics(output: configuration.kind.rawValue)
        self.warnings = LogRateLimiter()
        self.pacers = configuration.adaptivePacing ? ThroughputPacers() : nil
    }

    /// Two requests' worth of entries per slice, at most 4 MiB (tens of requests of typical log
    /// records): a flush holds one slice formatted, whatever `chunk_limit_size` is.
    public var sliceBytes: Int { min(2 * configuration.batchRequestMaxSize, 4 << 20) }

    public func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        let stream = chunk.metadata.expand(configuration.streamName)
        var prepared: PreparedChunk
        do {
            prepared = try prepare(chunk, stream: stream)
        } catch {
            logger.error(
                "Chunk cannot be read; handing it to the buffer as undeliverable",
                metadata: ["chunk": "\(chunk.id)", "error": "\(error)", "kinesis.stream": "\(stream)"])
            return .rejected(DeliveryError("chunk \(chunk.id) is not valid MessagePack: \(error)", code: "corrupt"))
        }
        if configuration.kind == .streamsAggregated { prepared.store = aggregate(prepared.store, stream: stream) }
        let outcome = await deliverConcurrently(prepared.store, stream: stream, chunk: chunk)
        var accepted = prepared.dropped
        accepted.formUnion(outcome.accepted)
        let pending = chunk.pendingCount
        guard let failure = outcome.failure else {
            if let deferred = outcome.deferred { return .deferred(accepted: accepted, retries: deferred.retries, after: deferred.after) }
            return accepted.count >= pending ? .delivered : .partial(accepted: accepted, error: DeliveryError("incomplete"))
        }
        if !accepted.isEmpty { return .partial(accepted: accepted, error: failure.error) }
        return failure.permanent ? .rejected(failure.error) : .retry(failure.error)
    }

    /// The chunk's pending records, formatted, and the entries dropped on the way.
    struct PreparedChunk {
        var store: RecordStore
        var dropped: EntrySet
    }

    func prepare(_ chunk: ChunkToSend, stream: String) throws -> PreparedChunk {
        var store = RecordStore(capacity: chunk.entries.count + chunk.entries.count / 4)
        var dropped = EntrySet()
        var formatter = RecordFormatter(configuration: configuration)
        var keys = PartitionKeyExtractor(
            accessor: configuration.kind == .streams ? configuration.partitionKey : nil,
            fixed: configuration.kind == .streams ? configuration.fixedPartitionKey : nil)
        let tag = chunk.metadata.tag ?? ""
        let limit = min(configuration.maxRecordSize, configuration.batchRequestMaxSize)
        let aggregated = configuration.kind == .streamsAggregated
        let aggregateKeyCount = configuration.fixedPartitionKey?.utf8.count ?? 32
        try chunk.forEachPendingEntryConsuming { index, time, walk in
            let reader = walk
            let dataStart = store.bytes.count
            do {
                try formatter.append(tag: tag, time: time, consuming: &walk, to: &store.bytes)
            } catch {
                // The formatter left `walk` somewhere in the record: skip it from its start. One
                // that cannot even be skipped ends the walk, as when records were skipped first.
                walk = reader
                try walk.skipValue()
                switch error {
                case RecordFormatter.Skip.keyNotFound(let key):
                    dropRecord(index, reason: "key_not_found", detail: "key '\(key)' doesn't exist", reader: reader, stream: stream)
                case is RecordFormatter.Skip: break
                case let error as MessagePackError:
                    dropRecord(index, reason: "invalid", detail: "\(error)", reader: reader, stream: stream)
                default: throw error
                }
                dropped.insert(index)
                return
            }
            let keyStart = store.bytes.count
            if configuration.kind == .streams, let fallback = try keys.append(record: reader, to: &store.bytes) {
                metrics.randomPartitionKey(reason: "\(fallback)", stream: stream)
                warn(
                    "partition-key.\(fallback)", "Records without a usable partition key get a random one",
                    ["partition_key": "\(configuration.partitionKey?.description ?? "")", "reason": "\(fallback)"], stream: stream)
            }
            let size =
                aggregated
                ? KPLAggregator.overhead(keyCount: aggregateKeyCount) + KPLAggregator.recordSize(dataCount: keyStart - dataStart)
                    + aggregateKeyCount
                : store.bytes.count - dataStart
            guard size <= limit else {
                store.bytes.removeSubrange(dataStart...)
                dropRecord(index, reason: "too_large", detail: "record size \(size) exceeds \(limit) bytes", reader: reader, stream: stream)
                dropped.insert(index)
                return
            }
            store.commit(dataStart: dataStart, keyStart: keyStart, entry: index)
        }
        return PreparedChunk(store: store, dropped: dropped)
    }

    /// Logs (truncated to `log_truncate_max_size`) and counts a record that will never be sent.
    func dropRecord(_ index: Int, reason: String, detail: String, reader: MessagePackReader, stream: String) {
        metrics.recordsDropped(1, reason: reason, stream: stream)
        var json: [UInt8] = []
        var copy = reader
        try? JSONWriter.appendValue(from: &copy, to: &json)
        logger.error(
            "Record skipped",
            metadata: [
                "kinesis.stream": "\(stream)", "reason": "\(detail)", "entry": "\(index)",
                "record": "\(truncate(String(decoding: json, as: UTF8.self)))",
            ])
    }

    func truncate(_ text: String) -> String {
        let limit = configuration.logTruncateMaxSize
        guard limit > 0, text.utf8.count > limit else { return text }
        return String(decoding: text.utf8.prefix(limit), as: UTF8.self)
    }

    /// A warning an operator must see, at most once a minute per kind.
    func warn(_ key: String, _ message: Logger.Message, _ metadata: Logger.Metadata, stream: String) {
        var metadata = metadata
        metadata["kinesis.stream"] = "\(stream)"
        warnings.log(logger, level: .warning, message, reason: "\(stream)/\(key)", metadata: metadata)
    }
}
