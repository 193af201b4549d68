import Foundation
import RunnelAWS
import RunnelConfig
import RunnelKinesis

/// `<source> @type kinesis_streams`: which stream, as whom, from where, and what the events look like.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `stream_name` | string | required unless `stream_arn` | the stream |
/// | `stream_arn` | string | – | the stream by ARN (its name and region are taken from it) |
/// | `region` | string | the ARN's, `AWS_REGION`, `AWS_DEFAULT_REGION` | |
/// | `endpoint` | URL | `AWS_ENDPOINT_URL_KINESIS`, `AWS_ENDPOINT_URL`, the region's | the Kinesis API |
/// | `ssl_verify_peer`, `http_proxy` | | true, – | as the output's |
/// | credentials | | the default chain | the output's sections and keys (`aws_key_id`, `<assume_role_credentials>`, ...) |
/// | `init_position` | `latest`, `trim_horizon`, a time | `latest` | where a shard without a checkpoint starts; a time is ISO 8601, epoch seconds, or `seconds.micros` |
/// | `tag` | string | required | `${stream}` and `${shard}` are replaced |
/// | `<parse>` | | `json` | how each record's data becomes an event; `none` keeps it under `message` |
/// | `include_metadata` | bool | false | adds the keys below to each record |
/// | `partition_key_key`, `sequence_number_key`, `shard_id_key`, `arrival_time_key` | string | `partition_key`, `sequence_number`, `shard_id`, `approximate_arrival_timestamp` | their names |
/// | `<storage>` `path` | path | `<root_dir>/<@id>/kinesis-checkpoints.json` | the checkpoint file; without it and without `root_dir`, checkpoints last only while the process runs |
/// | `<storage> @type dynamodb` `table` | string | required | a KCL 2.x lease table, created when missing; `region`, `endpoint`, `failover_time` (10s), `worker_id` |
public struct KinesisStreamsInputConfiguration: Sendable {
    public var streams: KinesisConfiguration
    public var credentials: AWSCredentialsConfiguration
    public var initPosition: KinesisStreamReader.Position = .latest
    public var tag: String
    public var includeMetadata = false
    public var partitionKeyKey = "partition_key"
    public var sequenceNumberKey = "sequence_number"
    public var shardIDKey = "shard_id"
    public var arrivalTimeKey = "approximate_arrival_timestamp"
    public var checkpointPath: String?
    /// `<system> file_permission`: the checkpoint file's mode.
    public var filePermission: UInt16 = 0o644
    /// `<storage> @type dynamodb`: leases shared with other instances instead of a checkpoint file.
    public var leases: LeaseSettings?

    /// `<storage> @type dynamodb`.
    public struct LeaseSettings: Sendable {
        public var table: String
        public var region: String = ""
        public var endpoint: URL?
        /// `failover_time`: a lease whose counter has not moved for this long is taken over (KCL's 10 s).
        public var failover: Double = 10
        /// `worker_id`: this instance's name in `leaseOwner` (host name and a random suffix by default).
        public var workerID = "\(ProcessInfo.processInfo.hostName)-\(UUID().uuidString.prefix(8).lowercased())"

        public init(table: String) { self.table = table }
    }

    public var streamName: String { streams.streamName }

    public init(_ element: ConfigElement, rootDirectory: String?, id: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var name = element.string("stream_name")
        var arnRegion: String?
        if let arn = element.string("stream_arn") {
            // arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME
            let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[0] == "arn", parts[2] == "kinesis", parts[5].hasPrefix("stream/"), parts[5].count > 7 else {
                throw element.invalid("stream_arn", arn, expected: "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME")
            }
            let fromARN = String(parts[5].dropFirst(7))
            if let name, name != fromARN { throw element.rejected("stream_name", "is '\(name)' but stream_arn names '\(fromARN)'") }
            name = fromARN
            arnRegion = String(parts[3])
        }
        guard let name, !name.isEmpty else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): 'stream_name' (or 'stream_arn') is required")
        }
        let candidates = [element.string("region"), arnRegion, environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
        guard let region = candidates.lazy.compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): 'region' is required (or set AWS_REGION / AWS_DEFAULT_REGION)")
        }
        streams = KinesisConfiguration(kind: .streams, streamName: name, region: region)
        streams.endpoint = try KinesisConfiguration.endpoint(element, environment: environment, variable: "AWS_ENDPOINT_URL_KINESIS")
        streams.sslVerifyPeer = try element.bool("ssl_verify_peer", default: true)
        streams.httpProxy = element.string("http_proxy")
        credentials = try AWSCredentialsConfiguration(from: element)
        if let raw = element.string("init_position") {
            guard let position = KinesisStreamReader.Position(parsing: raw) else {
                throw element.invalid("init_position", raw, expected: "latest, trim_horizon, or a time (ISO 8601, epoch seconds, seconds.micros)")
            }
            initPosition = position
        }
        tag = try element.requiredString("tag")
        includeMetadata = try element.bool("include_metadata", default: false)
        partitionKeyKey = element.string("partition_key_key") ?? partitionKeyKey
        sequenceNumberKey = element.string("sequence_number_key") ?? sequenceNumberKey
        shardIDKey = element.string("shard_id_key") ?? shardIDKey
        arrivalTimeKey = element.string("arrival_time_key") ?? arrivalTimeKey
        if let storage = element.element(named: "storage") {
            switch storage.pluginType ?? "local" {
            case "local":
                checkpointPath = storage.string("path")
                _ = try storage.bool("persistent")
            case "dynamodb":
                var leases = LeaseSettings(table: try storage.requiredString("table"))
                leases.endpoint = try KinesisConfiguration.endpoint(storage, environment: environment, variable: "AWS_ENDPOINT_URL_DYNAMODB")
                leases.region = storage.string("region") ?? region
                leases.failover = try storage.time("failover_time", default: 10)
                guard leases.failover >= 1 else { throw storage.rejected("failover_time", "must be at least 1s") }
                if let worker = storage.string("worker_id") { leases.workerID = worker }
                self.leases = leases
            case let type:
                throw storage.invalid("@type", type, expected: "local or dynamodb")
            }
        }
        if checkpointPath == nil, leases == nil, let rootDirectory {
            checkpointPath = (rootDirectory as NSString).appendingPathComponent("\(id)/kinesis-checkpoints.json")
        }
    }

    /// `tag` with `${stream}` and `${shard}` replaced.
    public func tag(shard: String) -> String {
        tag.replacingOccurrences(of: "${stream}", with: streamName).replacingOccurrences(of: "${shard}", with: shard)
    }
}
