import Foundation
import RunnelCore
import RunnelTestSupport
import Testing

/// conf.d/kinesis-source.conf as shipped: the runnel binary reads one moto stream and writes
/// another; a restart resumes from its checkpoints; `runnel streams sample` reads the result.
@Suite(.serialized) struct KinesisSourceEndToEndTests {
    static let python = Python.first(importing: ["moto.server", "boto3"])

    static let script = """
        import json, sys, boto3
        url, command, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        if command == "create":
            for name, shards in (("orders", 2), ("copied", 1)):
                k.create_stream(StreamName=name, ShardCount=shards)
                k.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
        for i in range(first, first + count):
            k.put_record(StreamName="orders", Data=json.dumps({"order": i}).encode(), PartitionKey="customer-%d" % (i % 7))
        print("ok")
        """

    /// Every record of the `copied` stream, read with `runnel streams sample`.
    static func copied(_ moto: MotoServer) async throws -> [MessagePackValue] {
        let sample = try await TestProcess.run(
            Paths.runnel, ["streams", "sample", "copied", "-n", "100000", "--json", "--region", "us-east-1", "--endpoint", moto.endpoint],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"])
        return try sample.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONReader.decode(String($0)) }
    }

    /// The `order` of each copied record's data.
    static func orders(_ records: [MessagePackValue]) throws -> [Int64] {
        try records.compactMap { record in
            guard let text = record["data"]?.stringValue else { return nil }
            if case .int(let n)? = try JSONReader.decode(text)["order"] { return n }
            if case .uint(let n)? = try JSONReader.decode(text)["order"] { return Int64(n) }
            return nil
        }
    }

    static func copiedOrders(_ moto: MotoServer) async throws -> [Int64] { try orders(await copied(moto)) }

    @Test(.enabled(if: python != nil, "needs python3 with moto and boto3"))
    func oneStreamIntoAnotherAcrossARestart() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        #expect(try await Python.run(Self.python!, ["-c", Self.script, moto.endpoint, "create", "0", "30"]).status == 0)
        let state = try TemporaryDirectory(prefix: "runnel-kinesis-source")
        let environment = [
            "RUNNEL_STATE_DIR": state.path, "RUNNEL_SOURCE_STREAM": "orders", "RUNNEL_STREAM": "copied", "RUNNEL_KINESIS_ENDPOINT": moto.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let config = Paths.packageRoot.appendingPathComponent("conf.d/kinesis-source.conf").path
        func copied() async throws -> [MessagePackValue] { try await Self.copied(moto) }
        func orders(_ records: [MessagePackValue]) throws -> [Int64] { try Self.orders(records) }

        let first = try TestProcess(Paths.runnel, ["-c", config], environment: environment)
        defer { Task { await first.stop() } }
        try await waitUntil("30 orders are copied", timeout: 120, every: .milliseconds(500)) { try await Set(orders(copied())).count >= 30 }
        let records = try await copied()
        let data = try JSONReader.decode(records[0]["data"]?.stringValue ?? "")
        #expect(data["source_shard"]?.stringValue?.hasPrefix("shardId-") == true, "\(data)")
        #expect(data["partition_key"]?.stringValue?.hasPrefix("customer-") == true, "\(data)")
        #expect(records[0]["partition_key"] == data["partition_key"], "the output's partition_key comes from the source record's")
        first.signal(SIGTERM)
        #expect(await first.wait(seconds: 60) == 0, "\(first.log)")

        // Restarted: only the orders written since are read again.
        #expect(try await Python.run(Self.python!, ["-c", Self.script, moto.endpoint, "put", "30", "10"]).status == 0)
        let second = try TestProcess(Paths.runnel, ["-c", config], environment: environment)
        defer { Task { await second.stop() } }
        try await waitUntil("40 orders are copied", timeout: 120, every: .milliseconds(500)) { try await Set(orders(copied())).count >= 40 }
        try await Task.sleep(for: .seconds(2))
        let all = try await orders(copied())
        #expect(all.sorted() == Array(0..<40), "each order copied once: \(all.sorted())")
        second.signal(SIGTERM)
        #expect(await second.wait(seconds: 60) == 0, "\(second.log)")
    }
}

/// SIGKILLs while a Kinesis source copies a stream that is being written: with the file
/// checkpoint, every record arrives; duplicates are counted and printed.
@Suite(.serialized) struct KinesisSourceCrashTests {
    static let writer = """
        import json, sys, time, boto3
        url, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        for i in range(first, first + count):
            k.put_record(StreamName="orders", Data=json.dumps({"order": i}).encode(), PartitionKey="customer-%d" % (i % 7))
            time.sleep(0.01)
        print("ok")
        """

    @Test(.enabled(if: KinesisSourceEndToEndTests.python != nil, "needs python3 with moto and boto3"))
    func sigkillLoopLosesNoRecord() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let python = KinesisSourceEndToEndTests.python!
        #expect(try await Python.run(python, ["-c", KinesisSourceEndToEndTests.script, moto.endpoint, "create", "0", "0"]).status == 0)
        let state = try TemporaryDirectory(prefix: "runnel-kinesis-crash")
        let environment = [
            "RUNNEL_STATE_DIR": state.path, "RUNNEL_SOURCE_STREAM": "orders", "RUNNEL_STREAM": "copied", "RUNNEL_KINESIS_ENDPOINT": moto.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let config = Paths.packageRoot.appendingPathComponent("conf.d/kinesis-source.conf").path
        let total = 300
        let writing = Task { try await Python.run(python, ["-c", Self.writer, moto.endpoint, "0", String(total)]) }
        for loop in 0..<4 {
            let runnel = try TestProcess(Paths.runnel, ["-c", config], environment: environment)
            try await Task.sleep(for: .milliseconds(1200 + 300 * loop))
            runnel.signal(SIGKILL)
            _ = await runnel.wait(seconds: 30)
        }
        #expect(try await writing.value.status == 0)
        let last = try TestProcess(Paths.runnel, ["-c", config], environment: environment)
        defer { Task { await last.stop() } }
        var orders: [Int64] = []
        try await waitUntil("every order is copied", timeout: 180, every: .seconds(1)) {
            orders = try await KinesisSourceEndToEndTests.copiedOrders(moto)
            return Set(orders).count >= total
        }
        #expect(Set(orders) == Set((0..<total).map(Int64.init)))
        print("kinesis source SIGKILL loop: \(total) records, \(orders.count) copied, \(orders.count - Set(orders).count) duplicates")
    }
}

/// `--dry-run --check` reads each Kinesis source's stream and names a missing one.
@Suite(.serialized) struct KinesisSourceCheckTests {
    @Test(.enabled(if: KinesisSourceEndToEndTests.python != nil, "needs python3 with moto and boto3"))
    func checkNamesAMissingStreamAndPassesAnExistingOne() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let created = try await Python.run(
            KinesisSourceEndToEndTests.python!, ["-c", KinesisSourceEndToEndTests.script, moto.endpoint, "create", "0", "0"])
        #expect(created.status == 0, "\(created.output)")
        let state = try TemporaryDirectory(prefix: "runnel-kinesis-check")
        let config = Paths.packageRoot.appendingPathComponent("conf.d/kinesis-source.conf").path
        // With leases: the table does not exist yet, which is said, not an error.
        let leased = state.path + "/leased.conf"
        try Data(
            """
            <source>
              @type kinesis_streams
              stream_name orders
              region us-east-1
              endpoint \(moto.endpoint)
              aws_key_id testing
              aws_sec_key testing
              tag k
              <storage>
                @type dynamodb
                table orders-leases
                endpoint \(moto.endpoint)
              </storage>
            </source>
            <match **>
              @type null
            </match>

            """.utf8
        ).write(to: URL(fileURLWithPath: leased))
        let leasedCheck = try await TestProcess.run(Paths.runnel, ["-c", leased, "--dry-run", "--check"], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        #expect(leasedCheck.status == 0, "\(leasedCheck.output)")
        #expect(leasedCheck.output.contains("lease table 'orders-leases' does not exist yet: it is created at start"), "\(leasedCheck.output)")
        // The stream exists in us-east-1 only: the same check in another region names that region.
        let elsewhere = try Data(contentsOf: URL(fileURLWithPath: leased)).replacingRegion("eu-west-1")
        try elsewhere.write(to: URL(fileURLWithPath: leased))
        let wrongRegion = try await TestProcess.run(Paths.runnel, ["-c", leased, "--dry-run", "--check"], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        #expect(wrongRegion.status == 1, "\(wrongRegion.output)")
        #expect(wrongRegion.output.contains("stream 'orders' not found in eu-west-1 (ResourceNotFoundException)"), "\(wrongRegion.output)")
        for (source, passes) in [("orders", true), ("missing", false)] {
            let environment = [
                "RUNNEL_STATE_DIR": state.path, "RUNNEL_SOURCE_STREAM": source, "RUNNEL_STREAM": "copied", "RUNNEL_KINESIS_ENDPOINT": moto.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true",
            ]
            let result = try await TestProcess.run(Paths.runnel, ["-c", config, "--dry-run", "--check"], environment: environment)
            if passes {
                #expect(result.status == 0, "\(result.output)")
                #expect(
                    result.output.contains("input from_orders (kinesis_streams): stream 'orders' in us-east-1 is ACTIVE with 2 open shards"), "\(result.output)"
                )
                #expect(result.output.contains("output to_events (kinesis_streams): stream 'copied' in us-east-1 is reachable"), "\(result.output)")
            } else {
                #expect(result.status == 1, "\(result.output)")
                #expect(
                    result.output.contains("input from_orders (kinesis_streams): stream 'missing' not found in us-east-1 (ResourceNotFoundException)"),
                    "\(result.output)")
                #expect(result.output.contains("1 check failed"), "\(result.output)")
            }
        }
    }
}

extension Data {
    /// The configuration text with its `region` lines set to `region`.
    fileprivate func replacingRegion(_ region: String) -> Data {
        Data(String(decoding: self, as: UTF8.self).replacingOccurrences(of: "region us-east-1", with: "region \(region)").utf8)
    }
}

/// Two runnel processes read one stream under DynamoDB leases; one is killed with SIGKILL, the
/// other takes its shards from their checkpoints; restarted on its own state, the killed one
/// sends what was in its buffer. Every record arrives; duplicates are counted and printed.
@Suite(.serialized) struct KinesisLeaseEndToEndTests {
    static let setup = """
        import json, sys, boto3
        url, command, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        k = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        if command == "create":
            for name, shards in (("orders", 4), ("copied", 1)):
                k.create_stream(StreamName=name, ShardCount=shards)
                k.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
        if command == "owners":
            d = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")
            try:
                print(" ".join(sorted(i.get("leaseOwner", {}).get("S", "-") for i in d.scan(TableName="orders-leases")["Items"])))
            except Exception as e:
                print("none")
            sys.exit(0)
        for i in range(first, first + count):
            k.put_record(StreamName="orders", Data=json.dumps({"order": i}).encode(), PartitionKey="customer-%d" % i)
        print("ok")
        """

    static func config(worker: String, moto: MotoServer, state: String) -> String {
        """
        <system>
          root_dir \(state)
        </system>
        <source>
          @type kinesis_streams
          stream_name orders
          region us-east-1
          endpoint \(moto.endpoint)
          aws_key_id testing
          aws_sec_key testing
          init_position trim_horizon
          tag kinesis.orders
          <storage>
            @type dynamodb
            table orders-leases
            endpoint \(moto.endpoint)
            failover_time 2s
            worker_id \(worker)
          </storage>
        </source>
        <match kinesis.**>
          @type kinesis_streams
          @id copy
          stream_name copied
          region us-east-1
          endpoint \(moto.endpoint)
          aws_key_id testing
          aws_sec_key testing
          <buffer>
            @type file
            flush_interval 1s
          </buffer>
        </match>

        """
    }

    @Test(.enabled(if: KinesisSourceEndToEndTests.python != nil, "needs python3 with moto and boto3"))
    func aKilledInstancesShardsAreTakenOverAndNothingIsLost() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let python = KinesisSourceEndToEndTests.python!
        #expect(try await Python.run(python, ["-c", Self.setup, moto.endpoint, "create", "0", "40"]).status == 0)
        let work = try TemporaryDirectory(prefix: "runnel-kinesis-leases")
        var processes: [String: TestProcess] = [:]
        func start(_ worker: String) throws -> TestProcess {
            try FileManager.default.createDirectory(atPath: work.path(worker), withIntermediateDirectories: true)
            let file = work.path("\(worker).conf")
            try Data(Self.config(worker: worker, moto: moto, state: work.path(worker)).utf8).write(to: URL(fileURLWithPath: file))
            return try TestProcess(Paths.runnel, ["-c", file], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        }
        processes["a"] = try start("a")
        processes["b"] = try start("b")
        defer { for process in processes.values { Task { await process.stop() } } }
        func owners() async throws -> String {
            try await Python.run(python, ["-c", Self.setup, moto.endpoint, "owners", "0", "0"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await waitUntil("the leases are split two and two", timeout: 120, every: .milliseconds(500)) { try await owners() == "a a b b" }

        processes["a"]!.signal(SIGKILL)
        _ = await processes["a"]!.wait(seconds: 30)
        #expect(try await Python.run(python, ["-c", Self.setup, moto.endpoint, "put", "40", "40"]).status == 0)
        try await waitUntil("b holds every lease", timeout: 120, every: .milliseconds(500)) { try await owners() == "b b b b" }
        // a comes back on its own state: what its buffer held goes out; it takes back its share.
        processes["a"] = try start("a")
        var orders: [Int64] = []
        try await waitUntil("every order is copied", timeout: 180, every: .seconds(1)) {
            orders = try await KinesisSourceEndToEndTests.copiedOrders(moto)
            return Set(orders).count >= 80
        }
        #expect(Set(orders) == Set((0..<80).map(Int64.init)))
        print("kinesis leases SIGKILL: 80 records, \(orders.count) copied, \(orders.count - Set(orders).count) duplicates")
    }
}
