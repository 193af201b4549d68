import Foundation
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelApp

/// `runnel streams` against moto's Kinesis, with records written by boto3 and aws-kinesis-agg.
@Suite(.serialized) struct StreamsCommandTests {
    static let python = Python.first(importing: ["moto.server", "boto3", "aws_kinesis_agg"])

    static let setupScript = """
        import json, sys, boto3
        from aws_kinesis_agg.aggregator import RecordAggregator
        url = sys.argv[1]
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        if sys.argv[2] == "create":
            k.create_stream(StreamName="orders", ShardCount=2)
            k.create_stream(StreamName="audit", ShardCount=1)
            k.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig={"Delay": 0.2})
            for i in range(6):
                k.put_record(StreamName="orders", Data=json.dumps({"n": i}).encode(), PartitionKey="key-%d" % i)
            k.put_record(StreamName="orders", Data=bytes([0, 255, 254]), PartitionKey="binary")
            aggregator = RecordAggregator()
            for i in range(3):
                aggregator.add_user_record("agg", json.dumps({"agg": i}).encode())
            key, _, data = aggregator.clear_and_get().get_contents()
            k.put_record(StreamName="orders", Data=data, PartitionKey=key)
        else:
            k.put_record(StreamName="audit", Data=b"arrived while tailing", PartitionKey="t")
        print("ok")
        """

    static let environment = [
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
    ]

    func streams(_ moto: MotoServer, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await TestProcess.run(
            Paths.runnel, ["streams"] + arguments + ["--endpoint", moto.endpoint], environment: Self.environment,
            unsetting: ["AWS_PROFILE", "AWS_SESSION_TOKEN"])
    }

    @Test(.enabled(if: python != nil, "needs python3 with moto, boto3 and aws-kinesis-agg"))
    func listDescribeSampleAndTail() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let setup = try await Python.run(Self.python!, ["-c", Self.setupScript, moto.endpoint, "create"])
        #expect(setup.status == 0, "\(setup.output)")

        let list = try await streams(moto, ["list", "--json"])
        #expect(list.status == 0, "\(list.output)")
        #expect(Set((try JSONReader.decode(list.output).arrayElements).compactMap(\.stringValue)) == ["orders", "audit"], "\(list.output)")
        #expect(try await streams(moto, ["list"]).output.split(separator: "\n").sorted() == ["audit", "orders"])

        let describe = try await streams(moto, ["describe", "orders", "--json"])
        #expect(describe.status == 0, "\(describe.output)")
        let summary = try JSONReader.decode(describe.output)
        #expect(summary["status"]?.stringValue == "ACTIVE")
        #expect(summary["open_shard_count"] == .int(2) || summary["open_shard_count"] == .uint(2))
        #expect(summary["shards"]?.arrayElements.count == 2)
        #expect(summary["shards"]?.arrayElements.last?["ending_hash_key"]?.stringValue == "340282366920938463463374607431768211455")
        let table = try await streams(moto, ["describe", "orders"]).output
        #expect(table.contains("Status      ACTIVE") && table.contains("shardId-000000000001"), "\(table)")

        // Every record across both shards, the aggregate split into its three user records.
        let sample = try await streams(moto, ["sample", "orders", "-n", "50", "--json"])
        #expect(sample.status == 0, "\(sample.output)")
        let records = try sample.output.split(separator: "\n").map { try JSONReader.decode(String($0)) }
        #expect(records.count == 10, "\(sample.output)")
        let texts = Set(records.compactMap { $0["data"]?.stringValue })
        #expect(texts.isSuperset(of: (0..<6).map { #"{"n": \#($0)}"# } + (0..<3).map { #"{"agg": \#($0)}"# }), "\(texts)")
        #expect(records.contains { $0["data_base64"]?.stringValue == "AP/+" && $0["partition_key"]?.stringValue == "binary" })
        #expect(records.filter { $0["sub_sequence_number"] != nil }.count == 3)
        #expect(records.allSatisfy { $0["arrival"]?.stringValue?.hasSuffix("Z") == true && $0["sequence_number"] != nil })
        #expect(Set(records.compactMap { $0["shard_id"]?.stringValue }).count == 2)
        let three = try await streams(moto, ["sample", "orders", "-n", "3"])
        #expect(three.output.split(separator: "\n").count == 3, "\(three.output)")

        // As an assumed role (moto's STS), with an external ID and a source identity.
        let assumed = try await TestProcess.run(
            Paths.runnel,
            [
                "streams", "list", "--endpoint", moto.endpoint, "--role-arn", "arn:aws:iam::123456789012:role/reader", "--external-id", "ext-1",
                "--source-identity", "alice",
            ], environment: Self.environment.merging(["AWS_ENDPOINT_URL_STS": moto.endpoint]) { $1 })
        #expect(assumed.status == 0 && assumed.output.contains("orders"), "\(assumed.output)")
        let orphan = try await streams(moto, ["list", "--external-id", "x"])
        #expect(orphan.status != 0 && orphan.output.contains("need --role-arn"), "\(orphan.output)")

        // Errors name the stream and region, and AWS' message; bad options are refused.
        let missing = try await streams(moto, ["describe", "nope"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("stream 'nope' not found in us-east-1 (ResourceNotFoundException)"), "\(missing.output)")
        let badFrom = try await streams(moto, ["sample", "orders", "--from", "yesterday"])
        #expect(badFrom.status != 0 && badFrom.output.contains("--from yesterday"), "\(badFrom.output)")

        // tail follows from now: only what arrives after it started.
        let tail = try TestProcess(
            Paths.runnel, ["streams", "tail", "audit", "--json", "--endpoint", moto.endpoint], environment: Self.environment,
            unsetting: ["AWS_PROFILE", "AWS_SESSION_TOKEN"])
        defer { Task { await tail.stop() } }
        try await Task.sleep(for: .seconds(2))
        let put = try await Python.run(Self.python!, ["-c", Self.setupScript, moto.endpoint, "put"])
        #expect(put.status == 0, "\(put.output)")
        for _ in 0..<600 where !tail.log.contains("arrived while tailing") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(tail.log.contains(#""data":"arrived while tailing""#), "\(tail.log)")
        tail.signal(SIGINT)
        #expect(await tail.wait(seconds: 30) != nil)
    }
}

extension MessagePackValue {
    fileprivate var arrayElements: [MessagePackValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
