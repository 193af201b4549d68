import Foundation
import Testing

@testable import RunnelTestSupport

/// The fake endpoint's answers against the AWS API references' shapes and limits
/// (Kinesis PutRecords / DescribeStreamSummary, Firehose PutRecordBatch / DescribeDeliveryStream).
@Suite struct FakeKinesisStateMachineTests {
    static func request(_ target: String, _ body: [String: Any], token: String? = nil, authorized: Bool = true)
        -> FakeKinesisStateMachine.Request
    {
        let data = try! JSONSerialization.data(withJSONObject: body)
        return .init(target: target, authorized: authorized, securityToken: token, body: Array(data))
    }

    static func records(_ count: Int, key: String? = "k", data: String = "aGk=") -> [[String: Any]] {
        (0..<count).map { _ in key.map { ["Data": data, "PartitionKey": $0] } ?? ["Data": data] }
    }

    static func decode(_ answer: FakeKinesisStateMachine.Answer) -> (status: Int, document: [String: Any], errorType: String?) {
        guard case .json(let status, let document, let errorType, _) = answer else {
            Issue.record("expected a JSON answer, got \(answer)")
            return (0, [:], nil)
        }
        return (status, try! JSONSerialization.jsonObject(with: Data(document.utf8)) as! [String: Any], errorType)
    }

    static let putRecords = "Kinesis_20131202.PutRecords"
    static let putRecordBatch = "Firehose_20150804.PutRecordBatch"

    @Test func putRecordsAnswersEveryRecordInOrderAndKeepsTheDecodedData() {
        var machine = FakeKinesisStateMachine(faults: .init(), shards: 4, seed: 1)
        let (status, document, errorType) = Self.decode(
            machine.receive(Self.request(Self.putRecords, ["StreamName": "logs", "Records": Self.records(3)])))
        #expect(status == 200 && errorType == nil)
        #expect(document["FailedRecordCount"] as? Int == 0)
        #expect(document["EncryptionType"] as? String == "NONE")
        let results = document["Records"] as! [[String: String]]
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0["SequenceNumber"]?.count == 56 && $0["ShardId"]?.hasPrefix("shardId-0000000000") == true })
        #expect(machine.records == Array(repeating: .init(stream: "logs", key: "k", data: Array("hi".utf8)), count: 3))
        #expect(machine.stats.requestsLog == [.init(records: 3, failed: 0)])
    }

    @Test func throttledRecordsCarryErrorCodeAndMessage() {
        var machine = FakeKinesisStateMachine(faults: .init(failFraction: 1), shards: 1, seed: 1)
        let (_, document, _) = Self.decode(
            machine.receive(Self.request(Self.putRecords, ["StreamName": "logs", "Records": Self.records(2)])))
        #expect(document["FailedRecordCount"] as? Int == 2)
        let results = document["Records"] as! [[String: String]]
        #expect(results.allSatisfy { $0["ErrorCode"] == "ProvisionedThroughputExceededException" && $0["ErrorMessage"] != nil })
        #expect(machine.records.isEmpty)
        #expect(machine.stats.recordErrors == ["ProvisionedThroughputExceededException": 2])
    }

    @Test func firehoseAnswersRequestResponsesWithRecordIds() {
        var machine = FakeKinesisStateMachine(faults: .init(), shards: 1, seed: 1)
        let (status, document, _) = Self.decode(
            machine.receive(Self.request(Self.putRecordBatch, ["DeliveryStreamName": "logs", "Records": Self.records(2, key: nil)])))
        #expect(status == 200)
        #expect(document["FailedPutCount"] as? Int == 0)
        #expect(document["Encrypted"] as? Bool == false)
        #expect((document["RequestResponses"] as! [[String: String]]).map { $0["RecordId"]?.count } == [64, 64])
        #expect(machine.records.map(\.key) == [nil, nil])
    }

    @Test(arguments: [
        (501, "k", 5, "ValidationException"),
        (0, "k", 5, "ValidationException"),
        (1, "", 5, "ValidationException"),
        (1, String(repeating: "k", count: 257), 5, "ValidationException"),
        (6, "k", (1 << 20) - 1, "InvalidArgumentException"),
        (1, "k", 1 << 20, "ValidationException"),
    ])
    func putRecordsLimits(count: Int, key: String, size: Int, code: String) {
        var machine = FakeKinesisStateMachine(faults: .init(), shards: 1, seed: 1)
        let data = Data(repeating: 0x61, count: size).base64EncodedString()
        let (status, document, errorType) = Self.decode(
            machine.receive(Self.request(Self.putRecords, ["StreamName": "logs", "Records": Self.records(count, key: key, data: data)])))
        #expect(status == 400)
        #expect(errorType == code)
        #expect(document["__type"] as? String == code)
        #expect(machine.records.isEmpty)
    }

    @Test func wholeRequestFaultsComeInTheScriptedOrder() {
        var machine = FakeKinesisStateMachine(
            faults: .init(errorBurst: 1, errorStatus: 500, errorBurstAfter: 1, dropConnections: 1), shards: 1, seed: 1)
        let put = Self.request(Self.putRecords, ["StreamName": "logs", "Records": Self.records(1)])
        #expect(machine.receive(put) == .dropConnection(delay: .zero))
        #expect(Self.decode(machine.receive(put)).status == 200)
        let burst = Self.decode(machine.receive(put))
        #expect(burst.status == 500 && burst.errorType == "InternalFailure")
        #expect(Self.decode(machine.receive(put)).status == 200)
        #expect(machine.stats.wholeRequestErrors == ["dropped_connection": 1, "InternalFailure": 1])
        #expect(machine.stats.requests == 4)
    }

    @Test func expiredTokensUnsignedRequestsUnknownTargetsAndMissingStreams() {
        var machine = FakeKinesisStateMachine(faults: .init(expiredTokenValue: "old", streams: ["logs"]), shards: 1, seed: 1)
        let body: [String: Any] = ["StreamName": "logs", "Records": Self.records(1)]
        #expect(Self.decode(machine.receive(Self.request(Self.putRecords, body, token: "old"))).errorType == "ExpiredTokenException")
        #expect(Self.decode(machine.receive(Self.request(Self.putRecords, body, token: "new"))).status == 200)
        #expect(
            Self.decode(machine.receive(Self.request(Self.putRecords, body, authorized: false))).errorType
                == "MissingAuthenticationTokenException")
        #expect(Self.decode(machine.receive(Self.request("Kinesis_20131202.GetRecords", body))).errorType == "UnknownOperationException")
        let missing = Self.decode(machine.receive(Self.request(Self.putRecords, ["StreamName": "other", "Records": Self.records(1)])))
        #expect(missing.errorType == "ResourceNotFoundException")
        #expect((missing.document["message"] as? String)?.contains("other") == true)
    }

    @Test func describeAnswersForStreamsThatExist() {
        var machine = FakeKinesisStateMachine(faults: .init(streams: ["logs"]), shards: 3, seed: 1)
        let summary = Self.decode(machine.receive(Self.request("Kinesis_20131202.DescribeStreamSummary", ["StreamName": "logs"])))
        let description = summary.document["StreamDescriptionSummary"] as? [String: Any]
        #expect(description?["StreamStatus"] as? String == "ACTIVE")
        #expect(description?["OpenShardCount"] as? Int == 3)
        let delivery = Self.decode(machine.receive(Self.request("Firehose_20150804.DescribeDeliveryStream", ["DeliveryStreamName": "logs"])))
        #expect((delivery.document["DeliveryStreamDescription"] as? [String: Any])?["DeliveryStreamStatus"] as? String == "ACTIVE")
        #expect(
            Self.decode(machine.receive(Self.request("Kinesis_20131202.DescribeStreamSummary", ["StreamName": "gone"]))).errorType
                == "ResourceNotFoundException")
    }

    @Test func shardsFollowTheHashKeyRanges() {
        // MD5("a") = 0cc175b9…: in the first of 4 equal ranges; MD5("b") = 92eb5ffe…: the third.
        #expect(FakeKinesisStateMachine.shard("a", 4) == 0)
        #expect(FakeKinesisStateMachine.shard("b", 4) == 2)
    }
}
