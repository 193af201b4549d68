import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelAWS
import RunnelCore

/// The read side of the Kinesis Data Streams API, through the one AWS client of RunnelAWS:
/// ListStreams, DescribeStreamSummary, ListShards, DescribeStreamConsumers, GetShardIterator and
/// GetRecords. Every page is followed; failures come back as `KinesisError` naming the stream,
/// the region and AWS' code and message.
public struct KinesisStreamReader: Sendable {
    let client: KinesisClient

    public init(
        region: String, endpoint: URL?, httpClient: HTTPClient, credentials: any CredentialProvider, timeout: Duration = .seconds(30)
    ) {
        var configuration = KinesisConfiguration(kind: .streams, streamName: "", region: region)
        configuration.endpoint = endpoint
        configuration.requestTimeout = timeout
        client = KinesisClient(configuration: configuration, httpClient: httpClient, credentials: credentials)
    }

    /// Through an output's client (its endpoint, credentials and timeout).
    init(client: KinesisClient) {
        self.client = client
    }

    public var region: String { client.region }

    /// DescribeStreamSummary's answer.
    public struct StreamSummary: Sendable {
        public var name: String
        public var arn: String
        public var status: String
        /// `PROVISIONED` or `ON_DEMAND`.
        public var mode: String
        public var openShardCount: Int
        public var retentionHours: Int
        public var encryption: String
        public var keyID: String?
        public var consumerCount: Int?
        public var created: Date?
    }

    public struct Shard: Sendable, Equatable {
        public var id: String
        public var parentID: String?
        public var adjacentParentID: String?
        public var startingHashKey: String
        public var endingHashKey: String
        public var startingSequenceNumber: String
        /// Set when the shard is closed (split or merged away).
        public var endingSequenceNumber: String?

        public var isOpen: Bool { endingSequenceNumber == nil }
    }

    public struct Consumer: Sendable {
        public var name: String
        public var status: String
    }

    /// Where an iterator starts.
    public enum Position: Sendable, Equatable {
        case latest
        case trimHorizon
        case atTimestamp(Date)
        case afterSequenceNumber(String)
    }

    public struct Record: Sendable {
        public var partitionKey: String
        public var sequenceNumber: String
        public var arrival: Date?
        public var data: [UInt8]
    }

    public struct RecordsPage: Sendable {
        public var records: [Record]
        /// nil once a closed shard has been read to its end.
        public var nextIterator: String?
        public var millisBehindLatest: Int?
    }

    /// Every stream name (ListStreams, all pages).
    public func listStreams() async throws(KinesisError) -> [String] {
        var names: [String] = []
        var token: String?
        while true {
            var fields: [(String, MessagePackValue)] = [("Limit", .int(100))]
            if let token {
                fields.append(("NextToken", .string(token)))
            } else if let last = names.last {
                fields.append(("ExclusiveStartStreamName", .string(last)))
            }
            let answer = try await call("ListStreams", fields, stream: "")
            let page = answer["StreamNames"].arrayValue.compactMap(\.stringValue)
            names += page
            token = answer["NextToken"]?.stringValue
            guard answer["HasMoreStreams"] == .bool(true), !page.isEmpty else { break }
        }
        return names
    }

    public func describe(stream: String) async throws(KinesisError) -> StreamSummary {
        let answer = try await call("DescribeStreamSummary", [("StreamName", .string(stream))], stream: stream)
        let summary = answer["StreamDescriptionSummary"] ?? .nil
        return StreamSummary(
            name: summary["StreamName"]?.stringValue ?? stream, arn: summary["StreamARN"]?.stringValue ?? "",
            status: summary["StreamStatus"]?.stringValue ?? "", mode: summary["StreamModeDetails"]?["StreamMode"]?.stringValue ?? "PROVISIONED",
            openShardCount: summary["OpenShardCount"]?.intValue ?? 0, retentionHours: summary["RetentionPeriodHours"]?.intValue ?? 24,
            encryption: summary["EncryptionType"]?.stringValue ?? "NONE", keyID: summary["KeyId"]?.stringValue,
            consumerCount: summary["ConsumerCount"]?.intValue, created: summary["StreamCreationTimestamp"]?.dateValue)
    }

    /// Every shard of `stream`, open and closed (ListShards, all pages).
    public func listShards(stream: String) async throws(KinesisError) -> [Shard] {
        var shards: [Shard] = []
        var token: String?
        repeat {
            // NextToken and StreamName cannot be sent together.
            let fields: [(String, MessagePackValue)] = token.map { [("NextToken", .string($0))] } ?? [("StreamName", .string(stream))]
            let answer = try await call("ListShards", fields, stream: stream)
            for shard in answer["Shards"].arrayValue {
                shards.append(
                    Shard(
                        id: shard["ShardId"]?.stringValue ?? "", parentID: shard["ParentShardId"]?.stringValue,
                        adjacentParentID: shard["AdjacentParentShardId"]?.stringValue,
                        startingHashKey: shard["HashKeyRange"]?["StartingHashKey"]?.stringValue ?? "",
                        endingHashKey: shard["HashKeyRange"]?["EndingHashKey"]?.stringValue ?? "",
                        startingSequenceNumber: shard["SequenceNumberRange"]?["StartingSequenceNumber"]?.stringValue ?? "",
                        endingSequenceNumber: shard["SequenceNumberRange"]?["EndingSequenceNumber"]?.stringValue))
            }
            token = answer["NextToken"]?.stringValue
        } while token != nil
        return shards
    }

    /// The enhanced fan-out consumers registered on the stream `arn` (all pages).
    public func listConsumers(streamARN arn: String, stream: String) async throws(KinesisError) -> [Consumer] {
        var consumers: [Consumer] = []
        var token: String?
        repeat {
            var fields: [(String, MessagePackValue)] = [("StreamARN", .string(arn))]
            if let token { fields.append(("NextToken", .string(token))) }
            let answer = try await call("ListStreamConsumers", fields, stream: stream)
            for consumer in answer["Consumers"].arrayValue {
                consumers.append(Consumer(name: consumer["ConsumerName"]?.stringValue ?? "", status: consumer["ConsumerStatus"]?.stringValue ?? ""))
            }
            token = answer["NextToken"]?.stringValue
        } while token != nil
        return consumers
    }

    public func shardIterator(stream: String, shard: String, from position: Position) async throws(KinesisError) -> String {
        var fields: [(String, MessagePackValue)] = [("StreamName", .string(stream)), ("ShardId", .string(shard))]
        fields.append(("ShardIteratorType", .string(position.iteratorType)))
        switch position {
        case .latest, .trimHorizon: break
        case .atTimestamp(let date): fields.append(("Timestamp", .double(date.timeIntervalSince1970)))
        case .afterSequenceNumber(let sequence): fields.append(("StartingSequenceNumber", .string(sequence)))
        }
        let answer = try await call("GetShardIterator", fields, stream: stream)
        guard let iterator = answer["ShardIterator"]?.stringValue else {
            throw KinesisError(.transport, message: "GetShardIterator answered no ShardIterator", stream: stream, region: region)
        }
        return iterator
    }

    public func records(stream: String, iterator: String, limit: Int = 10_000) async throws(KinesisError) -> RecordsPage {
        let answer = try await call("GetRecords", [("ShardIterator", .string(iterator)), ("Limit", .int(Int64(limit)))], stream: stream)
        var records: [Record] = []
        for record in answer["Records"].arrayValue {
            let data = record["Data"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
            records.append(
                Record(
                    partitionKey: record["PartitionKey"]?.stringValue ?? "", sequenceNumber: record["SequenceNumber"]?.stringValue ?? "",
                    arrival: record["ApproximateArrivalTimestamp"]?.dateValue, data: data))
        }
        return RecordsPage(
            records: records, nextIterator: answer["NextShardIterator"]?.stringValue, millisBehindLatest: answer["MillisBehindLatest"]?.intValue)
    }

    /// One call of `Kinesis_20131202.OPERATION` with a JSON object of `fields`.
    func call(_ operation: String, _ fields: [(String, MessagePackValue)], stream: String) async throws(KinesisError) -> MessagePackValue {
        var body: [UInt8] = []
        JSONWriter.append(.record(fields), to: &body)
        let response = try await client.call(target: "Kinesis_20131202.\(operation)", body: body, stream: stream)
        do {
            return try JSONReader.decode(response.body)
        } catch {
            throw KinesisError(.transport, message: "\(operation): unreadable answer: \(error)", stream: stream, region: region)
        }
    }
}

extension Optional where Wrapped == MessagePackValue {
    /// The elements of an array value; empty for anything else.
    var arrayValue: [MessagePackValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}

extension MessagePackValue {
    var intValue: Int? {
        switch self {
        case .int(let value): Int(value)
        case .uint(let value): Int(value)
        case .double(let value): Int(value)
        case .float(let value): Int(value)
        default: nil
        }
    }

    /// AWS JSON timestamps: epoch seconds as a number.
    var dateValue: Date? {
        switch self {
        case .int(let value): Date(timeIntervalSince1970: Double(value))
        case .uint(let value): Date(timeIntervalSince1970: Double(value))
        case .double(let value): Date(timeIntervalSince1970: value)
        case .float(let value): Date(timeIntervalSince1970: Double(value))
        default: nil
        }
    }
}

extension KinesisStreamReader.Position {
    /// GetShardIterator's `ShardIteratorType` (and, but for a sequence number, the KCL's
    /// checkpoint name for the position).
    public var iteratorType: String {
        switch self {
        case .latest: "LATEST"
        case .trimHorizon: "TRIM_HORIZON"
        case .atTimestamp: "AT_TIMESTAMP"
        case .afterSequenceNumber: "AFTER_SEQUENCE_NUMBER"
        }
    }

    /// `latest`, `trim_horizon`, an ISO 8601 time, or epoch seconds (`1764583200`, `1764583200.5`).
    public init?(parsing raw: String) {
        switch raw.lowercased() {
        case "latest": self = .latest
        case "trim_horizon": self = .trimHorizon
        default:
            if let seconds = Double(raw) {
                self = .atTimestamp(Date(timeIntervalSince1970: seconds))
                return
            }
            let formatter = ISO8601DateFormatter()
            for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
                formatter.formatOptions = options
                if let date = formatter.date(from: raw) {
                    self = .atTimestamp(date)
                    return
                }
            }
            return nil
        }
    }
}
