import RunnelCore
import RunnelFormat
import Foundation

/// Which of fluent-plugin-kinesis' outputs a configuration is for; decides API, limits and defaults.
public enum KinesisOutputKind: String, Sendable, CaseIterable {
    case streams = "kinesis_streams"
    case streamsAggregated = "kinesis_streams_aggregated"
    case firehose = "kinesis_firehose"

    /// The service name for SigV4 and the endpoint host.
    var service: String { self == .firehose ? "firehose" : "kinesis" }

    /// The JSON 1.1 `X-Amz-Target` of the batch API.
    var target: String {
        self == .firehose ? "Firehose_20150804.PutRecordBatch" : "Kinesis_20131202.PutRecords"
    }

    /// Records per request the API takes.
    var apiRecordLimit: Int { self == .streamsAggregated ? 100_000 : 500 }
    /// Default bytes per request (PutRecords 5 MiB, PutRecordBatch 4 MiB, one aggregated record 1 MiB).
    var defaultRequestSize: Int {
        switch self {
        case .streams: 5 << 20
        case .streamsAggregated: 1 << 20
        case .firehose: 4 << 20
        }
    }
    /// The largest `batch_request_max_size` accepted: Kinesis streams may opt in to 10 MiB requests and records.
    var maximumRequestSize: Int { self == .firehose ? 4 << 20 : 10 << 20 }
    /// Default record size limit (data + partition key): 1 MiB for Kinesis, 1,000 KiB for Firehose.
    var defaultRecordSize: Int { self == .firehose ? 1000 << 10 : 1 << 20 }
    var maximumRecordSize: Int { self == .firehose ? 1000 << 10 : 10 << 20 }
}

/// Compression of each record's data (`compression`).
public enum RecordCompression: String, Sendable, CaseIterable {
    case none = ""
    case zlib
    case gzip
}

/// The settings of one `kinesis_streams`, `kinesis_streams_aggregated` or `kinesis_firehose` `<match>`,
/// with fluent-plugin-kinesis v3's names, defaults and meanings. Read by `init(from:kind:)`
/// (KinesisConfiguration+Config.swift, which lists every key).
public struct KinesisConfiguration: Sendable {
    public var kind: KinesisOutputKind
    /// `stream_name` / `delivery_stream_name`, possibly with `${tag}` / `${key}` placeholders.
    public var streamName: String
    public var region: String
    /// `endpoint`: scheme, host and port of the API; nil means the AWS endpoint of `region`.
    public var endpoint: URL?
    public var sslVerifyPeer: Bool = true
    public var httpProxy: String?
    /// `partition_key` (kinesis_streams): a record field or `$.a.b` accessor; nil means random keys.
    public var partitionKey: RecordAccessor?
    /// `fixed_partition_key`: kinesis_streams_aggregated's key for every aggregated record (nil: a
    /// random key each); on kinesis_streams (Runnel only), the key of every record, over `partition_key`.
    public var fixedPartitionKey: String?
    public var dataKey: String?
    public var logTruncateMaxSize: Int = 1024
    public var compression: RecordCompression = .none
    public var chompRecord: Bool = false
    public var appendNewLine: Bool
    public var maxRecordSize: Int
    public var retriesOnBatchRequest: Int = 8
    public var resetBackoffIfSuccess: Bool = true
    public var batchRequestMaxCount: Int
    public var batchRequestMaxSize: Int
    /// Runnel's default is false: records still failing after the batch retries go back to the buffer.
    public var dropFailedRecordsAfterBatchRequestRetries: Bool = false
    public var monitorNumOfBatchRequestRetries: Bool = false
    /// Runnel only: learn the rate the stream accepts from throttled records and send close to it
    /// (`ThroughputPacer`) instead of sending and being throttled. Off by default: throttling of
    /// a few records that does not come from the stream's capacity (a hot shard, a refusing
    /// endpoint) cuts the rate all the same, and a backlog then drains slowly.
    public var adaptivePacing: Bool = false
    /// Runnel only: PutRecords requests of one flush out at once (1 with `retain_ordering`).
    public var maxConcurrentRequests: Int = 4
    /// Runnel's addition: never reorder records that share a partition key.
    public var retainOrdering: Bool = false
    /// Parameters set to true that fluent-plugin-kinesis reads but never uses (the output warns).
    public var ineffectiveParameters: [String] = []
    /// Per-request timeout for the HTTP call (`request_timeout`, Runnel's addition).
    public var requestTimeout: Duration = .seconds(30)
    public var format: FormatConfiguration = FormatConfiguration()
    public var inject: InjectConfiguration?

    public init(kind: KinesisOutputKind, streamName: String, region: String) {
        self.kind = kind
        self.streamName = streamName
        self.region = region
        self.appendNewLine = kind == .firehose
        self.maxRecordSize = kind.defaultRecordSize
        self.batchRequestMaxCount = kind.apiRecordLimit
        self.batchRequestMaxSize = kind.defaultRequestSize
    }

    /// Scheme, host and port to send requests to.
    var resolvedEndpoint: URL {
        if let endpoint { return endpoint }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://\(kind.service).\(region).\(suffix)")!
    }
}
