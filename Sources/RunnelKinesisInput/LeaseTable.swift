import AsyncHTTPClient
import Foundation
import NIOCore
import RunnelAWS
import RunnelCore

/// One shard's lease, as the Kinesis Client Library (KCL 2.x) keeps it in its DynamoDB table:
/// `leaseKey` (the shard id), `leaseOwner`, `leaseCounter` (bumped by every renewal, so a lease
/// whose counter stops moving has lost its owner), `checkpoint` (a sequence number, or
/// `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`), `checkpointSubSequenceNumber`,
/// `ownerSwitchesSinceCheckpoint` and `parentShardId`.
public struct Lease: Sendable, Equatable {
    public var key: String
    public var owner: String?
    public var counter: Int64
    public var checkpoint: String
    public var subSequenceNumber: Int64 = 0
    public var ownerSwitches: Int64 = 0
    public var parents: [String] = []

    public static let shardEnd = "SHARD_END"

    public var isFinished: Bool { checkpoint == Self.shardEnd }
}

/// The lease table through the one AWS client: DynamoDB's JSON 1.0 protocol, every write
/// conditional on what the caller last saw, as the KCL writes them.
public struct LeaseTable: Sendable {
    let service: AWSServiceClient
    let credentials: any CredentialProvider
    public let table: String
    let region: String

    public init(table: String, region: String, endpoint: URL?, httpClient: HTTPClient, credentials: any CredentialProvider) {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        self.service = AWSServiceClient(
            service: "dynamodb", region: region, endpoint: endpoint ?? URL(string: "https://dynamodb.\(region).\(suffix)")!, httpClient: httpClient)
        self.credentials = credentials
        self.table = table
        self.region = region
    }

    public struct TableError: Error, CustomStringConvertible {
        public var code: String
        public var message: String
        public var table: String
        public var region: String
        public var description: String {
            "lease table '\(table)' in \(region): \(code)" + (message.isEmpty ? "" : ": \(message)")
        }
        public var isConditionFailure: Bool { code == "ConditionalCheckFailedException" }
    }

    func call(_ operation: String, _ body: MessagePackValue) async throws -> MessagePackValue {
        var bytes: [UInt8] = []
        JSONWriter.append(body, to: &bytes)
        let response: AWSServiceClient.Response
        do {
            response = try await service.json(
                target: "DynamoDB_20120810.\(operation)", body: bytes, credentials: try await credentials.credentials(), timeout: .seconds(30),
                protocolVersion: "1.0")
        } catch {
            throw TableError(code: "transport", message: "\(error)", table: table, region: region)
        }
        guard response.status == 200 else {
            let document = response.error
            throw TableError(code: document.code.isEmpty ? "HTTP \(response.status)" : document.code, message: document.message, table: table, region: region)
        }
        return (try? JSONReader.decode(response.body)) ?? .map([])
    }

    static func object(_ pairs: [(String, MessagePackValue)]) -> MessagePackValue {
        .record(pairs)
    }

    static func s(_ text: String) -> MessagePackValue { object([("S", .string(text))]) }
    static func n(_ number: Int64) -> MessagePackValue { object([("N", .string(String(number)))]) }

    /// Creates the table (on-demand capacity, `leaseKey` its key) unless it exists, and waits until it is ACTIVE.
    public func ensureExists() async throws {
        do {
            let description = try await call("DescribeTable", Self.object([("TableName", .string(table))]))
            if description["Table"]?["TableStatus"]?.stringValue == "ACTIVE" { return }
        } catch let error as TableError where error.code == "ResourceNotFoundException" {
            // Another instance may create it at the same moment: ResourceInUseException is fine.
            do {
                _ = try await call(
                    "CreateTable",
                    Self.object([
                        ("TableName", .string(table)),
                        ("KeySchema", .array([Self.object([("AttributeName", .string("leaseKey")), ("KeyType", .string("HASH"))])])),
                        ("AttributeDefinitions", .array([Self.object([("AttributeName", .string("leaseKey")), ("AttributeType", .string("S"))])])),
                        ("BillingMode", .string("PAY_PER_REQUEST")),
                    ]))
            } catch let error as TableError where error.code == "ResourceInUseException" {}
        }
        for _ in 0..<120 {
            let description = try await call("DescribeTable", Self.object([("TableName", .string(table))]))
            if description["Table"]?["TableStatus"]?.stringValue == "ACTIVE" { return }
            try await Task.sleep(for: .seconds(1))
        }
        throw TableError(code: "NotActive", message: "the table did not become ACTIVE within 2 minutes", table: table, region: region)
    }

    /// Whether the table exists (`--check`); an error other than its absence (access denied) is thrown.
    public func exists() async throws -> Bool {
        do {
            _ = try await call("DescribeTable", Self.object([("TableName", .string(table))]))
            return true
        } catch let error as TableError where error.code == "ResourceNotFoundException" {
            return false
        }
    }

    /// Every lease (Scan, all pages).
    public func leases() async throws -> [Lease] {
        var leases: [Lease] = []
        var start: MessagePackValue?
        repeat {
            var body: [(String, MessagePackValue)] = [("TableName", .string(table)), ("ConsistentRead", .bool(true))]
            if let start { body.append(("ExclusiveStartKey", start)) }
            let page = try await call("Scan", Self.object(body))
            if case .array(let items)? = page["Items"] { leases += items.compactMap(Self.lease) }
            start = page["LastEvaluatedKey"]
        } while start != nil
        return leases
    }

    static func lease(_ item: MessagePackValue) -> Lease? {
        guard let key = item["leaseKey"]?["S"]?.stringValue else { return nil }
        func number(_ name: String) -> Int64 { item[name]?["N"]?.stringValue.flatMap { Int64($0) } ?? 0 }
        var parents: [String] = []
        if case .array(let values)? = item["parentShardId"]?["SS"] { parents = values.compactMap(\.stringValue) }
        return Lease(
            key: key, owner: item["leaseOwner"]?["S"]?.stringValue, counter: number("leaseCounter"),
            checkpoint: item["checkpoint"]?["S"]?.stringValue ?? "TRIM_HORIZON", subSequenceNumber: number("checkpointSubSequenceNumber"),
            ownerSwitches: number("ownerSwitchesSinceCheckpoint"), parents: parents)
    }

    /// Adds the lease of a shard no lease exists for; false when another instance added it first.
    public func create(_ lease: Lease) async throws -> Bool {
        var item: [(String, MessagePackValue)] = [
            ("leaseKey", Self.s(lease.key)), ("leaseCounter", Self.n(0)), ("checkpoint", Self.s(lease.checkpoint)),
            ("checkpointSubSequenceNumber", Self.n(0)), ("ownerSwitchesSinceCheckpoint", Self.n(0)),
        ]
        if !lease.parents.isEmpty { item.append(("parentShardId", Self.object([("SS", .array(lease.parents.map(MessagePackValue.string)))]))) }
        do {
            _ = try await call(
                "PutItem",
                Self.object([("TableName", .string(table)), ("Item", Self.object(item)), ("ConditionExpression", .string("attribute_not_exists(leaseKey)"))]))
            return true
        } catch let error as TableError where error.isConditionFailure {
            return false
        }
    }

    /// One conditional UpdateItem; nil when the condition failed (someone else changed the lease).
    func update(_ key: String, set: String, condition: String, values: [(String, MessagePackValue)]) async throws -> Lease? {
        do {
            let answer = try await call(
                "UpdateItem",
                Self.object([
                    ("TableName", .string(table)), ("Key", Self.object([("leaseKey", Self.s(key))])), ("UpdateExpression", .string(set)),
                    ("ConditionExpression", .string(condition)), ("ExpressionAttributeValues", Self.object(values)), ("ReturnValues", .string("ALL_NEW")),
                ]))
            return answer["Attributes"].flatMap(Self.lease)
        } catch let error as TableError where error.isConditionFailure {
            return nil
        }
    }

    /// Takes `lease` (expired, unowned, or stolen) for `owner`, if its counter is still the one seen.
    public func take(_ lease: Lease, owner: String) async throws -> Lease? {
        try await update(
            lease.key, set: "SET leaseOwner = :owner, leaseCounter = leaseCounter + :one, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one",
            condition: "leaseCounter = :seen", values: [(":owner", Self.s(owner)), (":one", Self.n(1)), (":seen", Self.n(lease.counter))])
    }

    /// Renews a lease `owner` holds; nil when it was lost (taken by another instance).
    public func renew(_ lease: Lease, owner: String) async throws -> Lease? {
        try await update(
            lease.key, set: "SET leaseCounter = leaseCounter + :one", condition: "leaseOwner = :owner AND leaseCounter = :seen",
            values: [(":owner", Self.s(owner)), (":one", Self.n(1)), (":seen", Self.n(lease.counter))])
    }

    /// Gives up a lease `owner` holds, as the KCL's `evictLease` does (the owner removed, the
    /// counter bumped), so that another instance takes it at its next scan of the table instead of
    /// waiting `failover_time` for it to expire; the checkpoint stays. nil when it was no longer
    /// `owner`'s.
    public func release(_ key: String, owner: String) async throws -> Lease? {
        try await update(
            key, set: "SET leaseCounter = leaseCounter + :one REMOVE leaseOwner", condition: "leaseOwner = :owner",
            values: [(":one", Self.n(1)), (":owner", Self.s(owner))])
    }

    /// Records how far `owner` got in the lease's shard; nil when the lease is no longer its own.
    public func checkpoint(_ key: String, owner: String, sequenceNumber: String, subSequenceNumber: Int64 = 0) async throws -> Lease? {
        try await update(
            key, set: "SET checkpoint = :checkpoint, checkpointSubSequenceNumber = :sub, ownerSwitchesSinceCheckpoint = :zero",
            condition: "leaseOwner = :owner",
            values: [(":checkpoint", Self.s(sequenceNumber)), (":sub", Self.n(subSequenceNumber)), (":zero", Self.n(0)), (":owner", Self.s(owner))])
    }
}
