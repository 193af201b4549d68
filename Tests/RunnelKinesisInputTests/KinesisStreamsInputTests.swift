import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelKinesis
import RunnelParsers
import RunnelPipeline
import RunnelTestSupport
import Synchronization
import Testing

@testable import RunnelKinesisInput

/// Events a test's input emitted, by tag.
final class RecordingSink: EventSink {
    let streams = Mutex<[EventStream]>([])

    func emit(_ stream: EventStream) async throws {
        streams.withLock { $0.append(stream) }
    }

    var records: [(tag: String, record: MessagePackValue)] {
        streams.withLock { streams in streams.flatMap { stream in stream.decodedEntriesOrEmpty.map { (stream.tag, $0.record) } } }
    }
}

extension EventStream {
    var decodedEntriesOrEmpty: [(time: EventTime, record: MessagePackValue)] { (try? decodedEntries()) ?? [] }
}

/// A `<source> @type kinesis_streams` reading `stream` at moto from its oldest record, with the
/// test keys, its `tag`, and `more` (parameters and sections) added, built as the plugin is.
func motoInput(
    _ moto: MotoServer, stream: String, tag: String, more: String = "", id: String, sink: RecordingSink, errors: RecordingSink? = nil
) throws -> KinesisStreamsInput {
    let element = try ConfigParser.parse(
        text: """
            <source>
              @type kinesis_streams
              stream_name \(stream)
              region us-east-1
              endpoint \(moto.endpoint)
              aws_key_id testing
              aws_sec_key testing
              init_position trim_horizon
              tag \(tag)
            \(more)
            </source>
            """, file: "k.conf", environment: [:]
    ).children[0]
    let configuration = try KinesisStreamsInputConfiguration(element, rootDirectory: nil, id: id, environment: [:])
    return try KinesisStreamsInput(
        configuration: configuration, parser: try ParserRegistry.makeParser(pluginSection: element, defaultType: "json"), sink: sink,
        errorSink: errors, logger: Logger(label: id), id: id, environment: [:])
}

@Suite struct KinesisStreamsInputConfigurationTests {
    static func section(_ body: String) throws -> ConfigElement {
        try ConfigParser.parse(text: "<source>\n  @type kinesis_streams\n\(body)\n</source>\n", file: "k.conf", environment: [:]).children[0]
    }

    @Test func streamARNGivesTheNameAndRegion() throws {
        let configuration = try KinesisStreamsInputConfiguration(
            try Self.section("  stream_arn arn:aws:kinesis:eu-west-1:123456789012:stream/orders\n  tag k.${stream}.${shard}"), rootDirectory: nil,
            id: "in", environment: [:])
        #expect(configuration.streamName == "orders")
        #expect(configuration.streams.region == "eu-west-1")
        #expect(configuration.tag(shard: "shardId-000000000001") == "k.orders.shardId-000000000001")
        #expect(configuration.initPosition == .latest)
        #expect(configuration.checkpointPath == nil)
    }

    @Test func positionsAndCheckpointPaths() throws {
        let cases: [(String, KinesisStreamReader.Position)] = [
            ("trim_horizon", .trimHorizon), ("LATEST", .latest), ("1764583200", .atTimestamp(Date(timeIntervalSince1970: 1_764_583_200))),
            ("1764583200.25", .atTimestamp(Date(timeIntervalSince1970: 1_764_583_200.25))),
            ("2025-12-01T10:00:00Z", .atTimestamp(Date(timeIntervalSince1970: 1_764_583_200))),
        ]
        for (raw, expected) in cases {
            let configuration = try KinesisStreamsInputConfiguration(
                try Self.section("  stream_name s\n  region r\n  tag t\n  init_position \(raw)"), rootDirectory: "/var/lib/runnel", id: "src",
                environment: [:])
            #expect(configuration.initPosition == expected, "\(raw)")
            #expect(configuration.checkpointPath == "/var/lib/runnel/src/kinesis-checkpoints.json")
        }
        let stored = try KinesisStreamsInputConfiguration(
            try Self.section("  stream_name s\n  region r\n  tag t\n  <storage>\n    @type local\n    path /tmp/cp.json\n  </storage>"),
            rootDirectory: "/root", id: "x", environment: [:])
        #expect(stored.checkpointPath == "/tmp/cp.json")
    }

    @Test func badConfigurationsAreNamed() throws {
        let bad: [(String, String)] = [
            ("  region r\n  tag t", "'stream_name' (or 'stream_arn') is required"),
            ("  stream_name s\n  tag t", "'region' is required"),
            ("  stream_name s\n  region r", "tag"),
            ("  stream_name s\n  region r\n  tag t\n  init_position yesterday", "init_position"),
            ("  stream_arn arn:aws:s3:::bucket\n  tag t", "stream_arn"),
            ("  stream_name a\n  stream_arn arn:aws:kinesis:r:1:stream/b\n  tag t", "stream_arn names 'b'"),
            ("  stream_name s\n  region r\n  tag t\n  <storage>\n    @type dynamodb\n  </storage>", "'table' parameter is required"),
            ("  stream_name s\n  region r\n  tag t\n  <storage>\n    @type redis\n  </storage>", "local or dynamodb"),
            ("  stream_name s\n  region r\n  tag t\n  <storage>\n    @type dynamodb\n    table t\n    failover_time 0.5s\n  </storage>", "at least 1s"),
        ]
        for (body, message) in bad {
            #expect(throws: (any Error).self, "\(body)") {
                try KinesisStreamsInputConfiguration(try Self.section(body), rootDirectory: nil, id: "x", environment: [:])
            }
            do {
                _ = try KinesisStreamsInputConfiguration(try Self.section(body), rootDirectory: nil, id: "x", environment: [:])
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test func checkpointsSurviveTheRoundTripAndAnotherStreamsAreNotUsed() throws {
        let directory = try TemporaryDirectory(prefix: "runnel-checkpoints")
        let file = ShardCheckpointFile(path: directory.path("nested/cp.json"))
        #expect(try file.load(stream: "s") == nil)
        var checkpoints = ShardCheckpoints(stream: "s")
        checkpoints.sequenceNumbers = ["shardId-000000000000": "49590338271490256608559692538361571095921575989136588898"]
        checkpoints.finished = ["shardId-000000000002"]
        try file.save(checkpoints)
        #expect(try file.load(stream: "s") == checkpoints)
        #expect(try file.load(stream: "other") == nil)
        #expect(!FileManager.default.fileExists(atPath: directory.path("nested/cp.json.tmp")))
        try Data("{\"stream\":".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(throws: (any Error).self) { try file.load(stream: "s") }
    }
}

/// The input against moto's Kinesis, records written by boto3 and aws-kinesis-agg.
@Suite(.serialized) struct KinesisStreamsInputMotoTests {
    static let python = Python.first(importing: ["moto.server", "boto3", "aws_kinesis_agg"])

    static let script = """
        import json, sys, boto3
        from aws_kinesis_agg.aggregator import RecordAggregator
        url, command, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        if command == "create":
            k.create_stream(StreamName="events", ShardCount=2)
            k.get_waiter("stream_exists").wait(StreamName="events", WaiterConfig={"Delay": 0.2})
        for i in range(first, first + count):
            k.put_record(StreamName="events", Data=json.dumps({"seq": i}).encode(), PartitionKey="key-%d" % i)
        if command == "create":
            k.put_record(StreamName="events", Data=b"not json at all", PartitionKey="bad")
            aggregator = RecordAggregator()
            for i in range(3):
                aggregator.add_user_record("agg-%d" % i, json.dumps({"agg": i}).encode())
            key, _, data = aggregator.clear_and_get().get_contents()
            k.put_record(StreamName="events", Data=data, PartitionKey=key)
        print("ok")
        """

    static func input(_ moto: MotoServer, checkpoint: String, sink: RecordingSink, errors: RecordingSink) throws -> KinesisStreamsInput {
        try motoInput(
            moto, stream: "events", tag: "kinesis.${stream}.${shard}",
            more: "  include_metadata true\n  <storage>\n    path \(checkpoint)\n  </storage>", id: "in", sink: sink, errors: errors)
    }

    static func seqs(_ sink: RecordingSink) -> [Int64] {
        sink.records.compactMap { record -> Int64? in
            if case .int(let value)? = record.record["seq"] { return value }
            if case .uint(let value)? = record.record["seq"] { return Int64(value) }
            return nil
        }
    }

    @Test(.enabled(if: python != nil, "needs python3 with moto, boto3 and aws-kinesis-agg"))
    func readsEveryShardCheckpointsAndResumesWithoutRereading() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let created = try await Python.run(Self.python!, ["-c", Self.script, moto.endpoint, "create", "0", "20"])
        #expect(created.status == 0, "\(created.output)")
        let directory = try TemporaryDirectory(prefix: "runnel-kinesis-input")
        let checkpoint = directory.path("cp.json")

        let sink = RecordingSink()
        let errors = RecordingSink()
        let first = try Self.input(moto, checkpoint: checkpoint, sink: sink, errors: errors)
        let running = Task { try await first.run() }
        try await waitUntil("every record is read", timeout: 120, every: .milliseconds(100)) {
            Self.seqs(sink).count >= 20 && sink.records.count >= 23 && !errors.records.isEmpty
        }
        running.cancel()
        _ = await running.result

        #expect(Set(Self.seqs(sink)) == Set(0..<20), "\(Self.seqs(sink))")
        let aggregated = sink.records.filter { $0.record["agg"] != nil }
        #expect(aggregated.count == 3, "the KPL aggregate is split into its three user records")
        #expect(Set(aggregated.compactMap { $0.record["partition_key"]?.stringValue }) == ["agg-0", "agg-1", "agg-2"])
        let first0 = sink.records.first { $0.record["seq"] != nil }!
        #expect(first0.tag.hasPrefix("kinesis.events.shardId-00000000000"), "\(first0.tag)")
        #expect(first0.record["shard_id"]?.stringValue.map { first0.tag.hasSuffix($0) } == true)
        #expect(first0.record["sequence_number"]?.stringValue != nil && first0.record["approximate_arrival_timestamp"] != nil)
        #expect(errors.records.count == 1)
        #expect(errors.records.first?.record["message"]?.stringValue == "not json at all")
        let saved = try ShardCheckpointFile(path: checkpoint).load(stream: "events")
        #expect(saved?.sequenceNumbers.count == 2, "\(String(describing: saved))")

        // Started again from the checkpoints: only what was written since is read.
        let more = try await Python.run(Self.python!, ["-c", Self.script, moto.endpoint, "put", "20", "5"])
        #expect(more.status == 0, "\(more.output)")
        let again = RecordingSink()
        let second = try Self.input(moto, checkpoint: checkpoint, sink: again, errors: RecordingSink())
        let resumed = Task { try await second.run() }
        try await waitUntil("the new records are read", timeout: 120, every: .milliseconds(100)) { Self.seqs(again).count >= 5 }
        try await Task.sleep(for: .seconds(1))
        resumed.cancel()
        _ = await resumed.result
        #expect(Self.seqs(again).sorted() == Array(20..<25), "\(Self.seqs(again))")
    }
}

/// Two inputs sharing a DynamoDB lease table (moto's) split a stream's shards, and one takes
/// over the other's when it stops renewing.
@Suite(.serialized) struct KinesisLeaseMotoTests {
    static let script = """
        import json, sys, boto3
        url, command, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        if command == "create":
            k.create_stream(StreamName="shared", ShardCount=4)
            k.get_waiter("stream_exists").wait(StreamName="shared", WaiterConfig={"Delay": 0.2})
        for i in range(first, first + count):
            k.put_record(StreamName="shared", Data=json.dumps({"seq": i}).encode(), PartitionKey="key-%d" % i)
        if command == "leases":
            d = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")
            for item in d.scan(TableName="runnel-leases")["Items"]:
                print(item["leaseKey"]["S"], item.get("leaseOwner", {}).get("S", "-"), item["leaseCounter"]["N"],
                      item["checkpoint"]["S"], item["checkpointSubSequenceNumber"]["N"], item["ownerSwitchesSinceCheckpoint"]["N"])
        print("ok")
        """

    /// The lease table as moto holds it: its text, and per lease its key, owner ("-" for none),
    /// counter, checkpoint, checkpoint sub-sequence number and owner switches.
    static func leaseRows(_ moto: MotoServer, python: String) async throws -> (text: String, rows: [[String]]) {
        let table = try await Python.run(python, ["-c", script, moto.endpoint, "leases", "0", "0"])
        return (table.output, table.output.split(separator: "\n").filter { $0.hasPrefix("shardId-") }.map { $0.split(separator: " ").map(String.init) })
    }

    static func input(_ moto: MotoServer, worker: String, sink: RecordingSink, failover: String = "2s") throws -> KinesisStreamsInput {
        try motoInput(
            moto, stream: "shared", tag: "shared",
            more: """
                  <storage>
                    @type dynamodb
                    table runnel-leases
                    endpoint \(moto.endpoint)
                    failover_time \(failover)
                    worker_id \(worker)
                  </storage>
                """, id: worker, sink: sink)
    }

    @Test(.enabled(if: KinesisStreamsInputMotoTests.python != nil, "needs python3 with moto and boto3"))
    func twoInstancesSplitTheShardsAndOneTakesOverWhenTheOtherStops() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let python = KinesisStreamsInputMotoTests.python!
        #expect(try await Python.run(python, ["-c", Self.script, moto.endpoint, "create", "0", "40"]).status == 0)
        let (sinkA, sinkB) = (RecordingSink(), RecordingSink())
        let a = try Self.input(moto, worker: "worker-a", sink: sinkA)
        let b = try Self.input(moto, worker: "worker-b", sink: sinkB)
        let runningA = Task { try await a.run() }
        let runningB = Task { try await b.run() }
        defer {
            runningA.cancel()
            runningB.cancel()
        }
        func all() -> [Int64] { KinesisStreamsInputMotoTests.seqs(sinkA) + KinesisStreamsInputMotoTests.seqs(sinkB) }
        func leaseRows() async throws -> (text: String, rows: [[String]]) { try await Self.leaseRows(moto, python: python) }
        try await waitUntil("every record is read and the leases are split two and two", timeout: 120, every: .milliseconds(500)) {
            let rows = try await leaseRows().rows
            return Set(all()).count == 40 && rows.filter { $0[1] == "worker-a" }.count == 2 && rows.filter { $0[1] == "worker-b" }.count == 2
        }
        // Written while the leases are split: each instance reads its own shards' records.
        #expect(try await Python.run(python, ["-c", Self.script, moto.endpoint, "put", "100", "20"]).status == 0)
        try await waitUntil("the records written while split are read", timeout: 120, every: .milliseconds(200)) {
            Set(all()).isSuperset(of: 100..<120)
        }
        #expect(KinesisStreamsInputMotoTests.seqs(sinkA).contains { $0 >= 100 } && KinesisStreamsInputMotoTests.seqs(sinkB).contains { $0 >= 100 })
        let (text, rows) = try await leaseRows()
        let table = (output: text, rows: rows)
        #expect(rows.count == 4, "\(table.output)")
        #expect(rows.allSatisfy { Int($0[2])! >= 1 && Int($0[4]) != nil && Int($0[5]) != nil }, "KCL's columns: \(table.output)")
        #expect(rows.allSatisfy { $0[3].allSatisfy(\.isNumber) }, "each shard checkpointed at a sequence number: \(table.output)")

        // A stops (its leases are no longer renewed); B takes them over and reads what comes next.
        runningA.cancel()
        _ = await runningA.result
        #expect(try await Python.run(python, ["-c", Self.script, moto.endpoint, "put", "40", "20"]).status == 0)
        try await waitUntil("B reads the records written after A stopped", timeout: 120, every: .milliseconds(200)) {
            Set(KinesisStreamsInputMotoTests.seqs(sinkB)).isSuperset(of: 40..<60)
        }
        let after = try await Python.run(python, ["-c", Self.script, moto.endpoint, "leases", "0", "0"])
        #expect(after.output.split(separator: "\n").filter { $0.hasPrefix("shardId-") }.allSatisfy { $0.contains(" worker-b ") }, "\(after.output)")
        // At least once: nothing lost; what A read but had not checkpointed may come twice.
        #expect(Set(all()) == Set(0..<60).union(100..<120))
    }
}

extension KinesisLeaseMotoTests {
    /// A stopping instance releases its leases as the KCL's `evictLease` does: the table shows
    /// them unowned, their counters bumped and their checkpoints kept, and another instance takes
    /// them at its first scan, well before `failover_time` (a minute here) would expire them.
    @Test(.enabled(if: KinesisStreamsInputMotoTests.python != nil, "needs python3 with moto and boto3"))
    func aStoppingInstanceReleasesItsLeasesToTheNext() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let python = KinesisStreamsInputMotoTests.python!
        #expect(try await Python.run(python, ["-c", Self.script, moto.endpoint, "create", "0", "40"]).status == 0)
        func leaseRows() async throws -> (text: String, rows: [[String]]) { try await Self.leaseRows(moto, python: python) }
        let sinkA = RecordingSink()
        let a = try Self.input(moto, worker: "worker-a", sink: sinkA, failover: "60s")
        let runningA = Task { try await a.run() }
        try await waitUntil("A reads every record holding the four leases", timeout: 120, every: .milliseconds(500)) {
            let rows = try await leaseRows().rows
            return Set(KinesisStreamsInputMotoTests.seqs(sinkA)).count == 40 && rows.count == 4
                && rows.allSatisfy { $0[1] == "worker-a" && $0[3].allSatisfy(\.isNumber) }
        }
        let before = try await leaseRows().rows
        runningA.cancel()
        _ = await runningA.result

        let (text, released) = try await leaseRows()
        #expect(released.count == 4 && released.allSatisfy { $0[1] == "-" }, "every lease unowned: \(text)")
        for row in released {
            let earlier = try #require(before.first { $0[0] == row[0] })
            #expect(Int(row[2])! > Int(earlier[2])!, "the counter moved: \(text)")
            let checkpointKept = row[3] == earlier[3] || row[3].allSatisfy { $0.isNumber }
            #expect(checkpointKept, "the checkpoint stayed: \(text)")
        }

        let sinkB = RecordingSink()
        let b = try Self.input(moto, worker: "worker-b", sink: sinkB, failover: "60s")
        let runningB = Task { try await b.run() }
        defer { runningB.cancel() }
        #expect(try await Python.run(python, ["-c", Self.script, moto.endpoint, "put", "40", "10"]).status == 0)
        try await waitUntil("B takes the released leases and reads what comes next", timeout: 30, every: .milliseconds(200)) {
            Set(KinesisStreamsInputMotoTests.seqs(sinkB)).isSuperset(of: 40..<50)
        }
        #expect(KinesisStreamsInputMotoTests.seqs(sinkB).allSatisfy { $0 >= 40 }, "B starts at A's checkpoints: \(KinesisStreamsInputMotoTests.seqs(sinkB))")
    }
}

/// Avro records in a stream (written by fastavro in the writer's schema) read through `<parse> @type avro`.
@Suite(.serialized) struct KinesisAvroMotoTests {
    static let python = Python.first(importing: ["moto.server", "boto3", "fastavro"])

    static let schema =
        #"{"type":"record","name":"Click","fields":[{"name":"user","type":"string"},{"name":"n","type":"long"},{"name":"page","type":["null","string"]}]}"#

    static let script = """
        import io, json, sys, boto3, fastavro
        url, schema_path = sys.argv[1], sys.argv[2]
        schema = fastavro.parse_schema(json.load(open(schema_path)))
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        k.create_stream(StreamName="clicks", ShardCount=2)
        k.get_waiter("stream_exists").wait(StreamName="clicks", WaiterConfig={"Delay": 0.2})
        for i in range(12):
            out = io.BytesIO()
            fastavro.schemaless_writer(out, schema, {"user": "u%d" % (i % 3), "n": i, "page": None if i % 2 else "/p/%d" % i})
            k.put_record(StreamName="clicks", Data=out.getvalue(), PartitionKey="u%d" % (i % 3))
        k.put_record(StreamName="clicks", Data=b"{\\"not\\": \\"avro\\"}", PartitionKey="bad")
        print("ok")
        """

    @Test(.enabled(if: python != nil, "needs python3 with moto, boto3 and fastavro"))
    func avroDatumsBecomeEvents() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let directory = try TemporaryDirectory(prefix: "runnel-kinesis-avro")
        let schemaPath = directory.path("click.avsc")
        try Data(Self.schema.utf8).write(to: URL(fileURLWithPath: schemaPath))
        let written = try await Python.run(Self.python!, ["-c", Self.script, moto.endpoint, schemaPath])
        #expect(written.status == 0, "\(written.output)")
        let (sink, errors) = (RecordingSink(), RecordingSink())
        let input = try motoInput(
            moto, stream: "clicks", tag: "clicks", more: "  <parse>\n    @type avro\n    avro_schema_path \(schemaPath)\n  </parse>", id: "avro",
            sink: sink, errors: errors)
        let running = Task { try await input.run() }
        defer { running.cancel() }
        try await waitUntil("the Avro records are read", timeout: 120, every: .milliseconds(100)) { sink.records.count >= 12 && errors.records.count >= 1 }
        let records = sink.records.map(\.record).sorted { ($0["n"].flatMap(Self.number) ?? 0) < ($1["n"].flatMap(Self.number) ?? 0) }
        #expect(records.compactMap { $0["n"].flatMap(Self.number) } == Array(0..<12))
        #expect(records[3]["user"] == .string("u0") && records[3]["page"] == .nil)
        #expect(records[4]["page"] == .string("/p/4"))
        #expect(errors.records.first?.record["message"]?.stringValue == #"{"not": "avro"}"#, "data that is not Avro goes to @ERROR")
    }

    static func number(_ value: MessagePackValue) -> Int64? {
        switch value {
        case .int(let n): n
        case .uint(let n): Int64(n)
        default: nil
        }
    }
}
