import AsyncHTTPClient
import Foundation
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

/// The senders against moto's Kinesis (a peer we did not write): records read back with
/// boto3's GetShardIterator / GetRecords, aggregated records deaggregated with aws-kinesis-agg.
@Suite(.serialized) struct KinesisMotoTests {
    static let python = Python.first(importing: ["moto.server", "boto3"])
    static let pythonWithAgg = Python.first(importing: ["moto.server", "boto3", "aws_kinesis_agg"])

    static let clientScript = """
        import base64, json, sys, boto3
        command, url, stream = sys.argv[1], sys.argv[2], sys.argv[3]
        client = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        if command == "create":
            client.create_stream(StreamName=stream, ShardCount=int(sys.argv[4]))
            print("ok")
            sys.exit(0)
        records = []
        for shard in client.list_shards(StreamName=stream)["Shards"]:
            iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while iterator:
                answer = client.get_records(ShardIterator=iterator, Limit=10000)
                for record in answer["Records"]:
                    records.append({"shard": shard["ShardId"], "seq": record["SequenceNumber"],
                                    "key": record["PartitionKey"], "data": base64.b64encode(record["Data"]).decode()})
                if not answer["Records"]:
                    break
                iterator = answer.get("NextShardIterator")
        if command == "read-deaggregated":
            from aws_kinesis_agg.deaggregator import iter_deaggregate_records
            users = []
            for record in records:
                event = {"eventSource": "aws:kinesis", "kinesis": {"data": record["data"], "partitionKey": record["key"],
                         "sequenceNumber": record["seq"], "kinesisSchemaVersion": "1.0",
                         "approximateArrivalTimestamp": 0}}
                for user in iter_deaggregate_records([event]):
                    data = user["kinesis"]["data"]
                    users.append({"shard": record["shard"], "seq": record["seq"], "key": user["kinesis"]["partitionKey"],
                                  "data": data.decode() if isinstance(data, bytes) else data})
            records = users
        json.dump(records, sys.stdout)
        """

    struct Moto {
        let python: String
        let server: MotoServer
        var url: String { server.endpoint }

        init(python: String) async throws {
            self.python = python
            server = try await MotoServer.start(python: python)
        }

        func createStream(_ name: String, shards: Int) async throws {
            let result = try await Python.run(python, ["-c", KinesisMotoTests.clientScript, "create", url, name, "\(shards)"])
            guard result.status == 0 else { throw TestFailure("create_stream failed") }
        }

        /// Every record of the stream: (shard, sequence number, partition key, data).
        func read(_ stream: String, deaggregate: Bool = false) async throws -> [(shard: String, seq: String, key: String, data: [UInt8])] {
            let result = try await Python.run(
                python, ["-c", KinesisMotoTests.clientScript, deaggregate ? "read-deaggregated" : "read", url, stream])
            guard result.status == 0, let list = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: String]]
            else { throw TestFailure("reading the stream failed") }
            return list.map { ($0["shard"]!, $0["seq"]!, $0["key"]!, Array(Data(base64Encoded: $0["data"]!)!)) }
        }

        func sender(_ parameters: KeyValuePairs<String, String>, kind: KinesisOutputKind = .streams, children: [ConfigElement] = [])
            throws -> KinesisSender
        {
            var all: [ConfigParameter] = [
                ConfigParameter(key: "region", value: "us-east-1", location: .synthesized),
                ConfigParameter(key: "endpoint", value: url, location: .synthesized),
            ]
            all += parameters.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) }
            // These tests read each key's records back in the order they were sent, which
            // requests out at once do not keep (without retain_ordering).
            if !parameters.contains(where: { $0.key == "max_concurrent_requests" }) {
                all.append(ConfigParameter(key: "max_concurrent_requests", value: "1", location: .synthesized))
            }
            let element = ConfigElement(name: "match", argument: "**", parameters: all, children: children)
            return KinesisSender(
                configuration: try KinesisConfiguration(from: element, kind: kind, environment: [:]),
                credentials: StaticCredentialProvider(), httpClient: HTTPClient.shared, logger: testLogger(),
                clock: ManualClock(sleep: .returnsAtOnce), jitter: { 0.5 })
        }
    }

    static func isDelivered(_ result: DeliveryResult) -> Bool {
        if case .delivered = result { return true }
        return false
    }

    @Test(.enabled(if: python != nil, "needs python3 with moto and boto3 (pip install 'moto[server]' boto3)"))
    func everyRecordArrivesWithExactDataAndKeys() async throws {
        let moto = try await Moto(python: Self.python!)
        defer { moto.server.stop() }
        try await moto.createStream("logs", shards: 8)
        let sender = try moto.sender(["stream_name": "${tag}", "partition_key": "$.ctx.user"])

        // 1,203 small records: three requests (500, 500, 203); one oversized record dropped.
        var records: [MessagePackValue] = (0..<1203).map { index in
            .record([
                "seq": .uint(UInt64(index)), "ctx": .record(["user": .string("user-\(index % 37)")]),
                "message": .string("héllo \"world\" \(index)\n"),
            ])
        }
        records.insert(.record(["seq": 99999, "message": .string(String(repeating: "z", count: 1 << 20))]), at: 600)
        #expect(Self.isDelivered(await sender.send(makeChunk(records, tag: "logs"))))
        // Nine 600 KiB records: the 5 MiB request limit splits them (8 + 1).
        let big: [MessagePackValue] = (0..<9).map { index in
            .record(["seq": .uint(UInt64(2000 + index)), "ctx": .record(["user": "big"]), "message": .string(String(repeating: "b", count: 600 << 10))])
        }
        #expect(Self.isDelivered(await sender.send(makeChunk(big, tag: "logs"))))

        let stored = try await moto.read("logs")
        #expect(stored.count == 1203 + 9)
        #expect(Set(stored.map(\.shard)).count > 1)
        var expected: [String: String] = [:]  // data -> key
        for (index, record) in records.enumerated() where index != 600 {
            var json: [UInt8] = []
            JSONWriter.append(record, to: &json)
            json.append(0x0a)
            expected[String(decoding: json, as: UTF8.self)] = record["ctx"]?["user"]?.stringValue
        }
        for record in big {
            var json: [UInt8] = []
            JSONWriter.append(record, to: &json)
            json.append(0x0a)
            expected[String(decoding: json, as: UTF8.self)] = "big"
        }
        for item in stored {
            let text = String(decoding: item.data, as: UTF8.self)
            #expect(expected[text] == item.key, "unexpected record \(text.prefix(80))")
            expected[text] = nil
        }
        #expect(expected.isEmpty)
        // Per partition key, records keep their order (sequence numbers rise with seq).
        var lastSeq: [String: Int] = [:]
        for item in stored.sorted(by: { ($0.shard, $0.seq.count, $0.seq) < ($1.shard, $1.seq.count, $1.seq) }) {
            let seq = Int(String(decoding: item.data, as: UTF8.self).split(separator: ":")[1].split(separator: ",")[0])!
            if let previous = lastSeq[item.key] { #expect(previous < seq) }
            lastSeq[item.key] = seq
        }
    }

    @Test(.enabled(if: pythonWithAgg != nil, "needs python3 with moto, boto3 and aws-kinesis-agg (pip install aws-kinesis-agg)"))
    func aggregatedRecordsDeaggregateIntoTheOriginals() async throws {
        let moto = try await Moto(python: Self.pythonWithAgg!)
        defer { moto.server.stop() }
        try await moto.createStream("agg", shards: 4)
        let sender = try moto.sender(["stream_name": "agg", "batch_request_max_size": "32k"], kind: .streamsAggregated)
        let records: [MessagePackValue] = (0..<2000).map { .record(["seq": .uint(UInt64($0)), "message": .string("aggregated event \($0)")]) }
        #expect(Self.isDelivered(await sender.send(makeChunk(records))))

        let raw = try await moto.read("agg")
        #expect(raw.count > 1)
        #expect(raw.allSatisfy { $0.data.count + $0.key.utf8.count <= 32 << 10 && $0.key.count == 32 })
        let users = try await moto.read("agg", deaggregate: true)
        #expect(users.count == 2000)
        let decoded = Set(users.map { String(decoding: $0.data, as: UTF8.self) })
        #expect(decoded == Set((0..<2000).map { "{\"seq\":\($0),\"message\":\"aggregated event \($0)\"}\n" }))
    }
}
