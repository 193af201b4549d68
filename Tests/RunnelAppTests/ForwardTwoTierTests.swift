import Foundation
import RunnelCore
import RunnelTestSupport
import Testing

/// out_forward end to end, with the real binary in both tiers: fluent-logger -> runnel agent
/// (forward in, out_forward with require_ack_response) -> runnel aggregator(s) (forward in, file
/// buffer, kinesis_streams) -> moto. Every event must arrive; duplicates are allowed.
@Suite(.serialized) struct ForwardTwoTierTests {
    /// Sends events numbered `start..<start + count` to the agent with fluent-logger.
    static let sendScript = """
        import sys
        from fluent import sender
        port, start, count = (int(a) for a in sys.argv[1:4])
        logger = sender.FluentSender("app", host="127.0.0.1", port=port, timeout=30)
        for i in range(start, start + count):
            if not logger.emit("web", {"user_id": f"user-{i % 37}", "seq": i, "message": f"GET /orders/{i} 200"}):
                sys.exit(f"fluent-logger could not send event {i}: {logger.last_error}")
        logger.close()
        """

    struct Setup {
        let moto: MotoServer
        let work: TemporaryDirectory
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path

        func createStream(_ name: String) async throws {
            let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", name, "--shards", "1"])
            #expect(created.status == 0, "\(created.output)")
        }

        /// An aggregator: forward in on `port` (with `inputExtra` in its <source>) -> kinesis_streams `stream`.
        func aggregator(name: String, port: Int, stream: String, inputExtra: String = "") throws -> TestProcess {
            let config = """
                <source>
                  @type forward
                  bind 127.0.0.1
                  port \(port)
                \(inputExtra)
                </source>
                <match app.**>
                  @type kinesis_streams
                  stream_name \(stream)
                  region us-east-1
                  endpoint \(moto.endpoint)
                  aws_key_id testing
                  aws_sec_key testing
                  partition_key user_id
                  <format>
                    @type json
                  </format>
                  <buffer>
                    @type file
                    path \(work.path("buffer-\(name)"))
                    flush_interval 1s
                  </buffer>
                </match>
                """
            let path = try work.write("\(name).conf", config)
            return try TestProcess(Paths.runnel, ["-c", path], environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        }

        /// The agent: forward in on `port` -> out_forward with `outputBody` (servers and options).
        func agent(port: Int, outputBody: String) throws -> TestProcess {
            let config = """
                <source>
                  @type forward
                  bind 127.0.0.1
                  port \(port)
                </source>
                <match app.**>
                  @type forward
                  require_ack_response true
                  ack_response_timeout 30s
                  send_timeout 30s
                  heartbeat_interval 1s
                  recover_wait 2s
                \(outputBody)
                  <buffer>
                    flush_interval 1s
                    retry_wait 1s
                    retry_max_interval 2s
                  </buffer>
                </match>
                """
            let path = try work.write("agent.conf", config)
            return try TestProcess(Paths.runnel, ["-c", path])
        }

        func send(port: Int, from start: Int, count: Int, agent: TestProcess) async throws {
            try await waitUntil("the agent listens", timeout: 120, every: .milliseconds(200)) {
                guard agent.process.isRunning else { throw TestFailure("the agent exited:\n\(agent.log)") }
                return await waitForPort(port, seconds: 1)
            }
            let script = try work.write("send.py", ForwardTwoTierTests.sendScript)
            let sent = try await TestProcess.run("python3", [script, "\(port)", "\(start)", "\(count)"])
            #expect(sent.status == 0, "\(sent.output)")
        }

        /// The event numbers in `stream` now.
        func seqs(in stream: String) async throws -> Set<Int> {
            let dumped = try await TestProcess.run(
                "python3", [helper, "dump", "--endpoint", moto.endpoint, "--stream", stream, "--records", "0", "--timeout", "0"])
            var seqs = Set<Int>()
            for line in dumped.output.split(separator: "\n") {
                guard let record = try? JSONReader.decode(String(line)) else { continue }
                switch record["seq"] {
                case .uint(let seq)?: seqs.insert(Int(seq))
                case .int(let seq)?: seqs.insert(Int(seq))
                default: continue
                }
            }
            return seqs
        }

        /// Waits (generously) until `streams` together hold every event of `expected`.
        func waitForAll(_ expected: Range<Int>, in streams: [String], logs: [TestProcess]) async throws -> Set<Int> {
            let deadline = Date().addingTimeInterval(150)
            var seen = Set<Int>()
            while Date() < deadline {
                if let exited = logs.first(where: { !$0.process.isRunning }) {
                    Issue.record("a runnel process exited early:\n\(exited.log)")
                    return seen
                }
                seen = []
                for stream in streams { seen.formUnion(try await seqs(in: stream)) }
                if seen.isSuperset(of: expected) { return seen }
                try await Task.sleep(for: .seconds(1))
            }
            let missing = Set(expected).subtracting(seen)
            Issue.record("\(missing.count) events missing, e.g. \(missing.sorted().prefix(10))\n\(logs.map(\.log).joined(separator: "\n---\n"))")
            return seen
        }
    }

    static func setUp() async throws -> Setup {
        Setup(moto: try await MotoServer.start(), work: try TemporaryDirectory(prefix: "runnel-two-tier"))
    }

    /// Stops the agent with SIGTERM (it must exit 0), then the others.
    static func stop(agent: TestProcess, _ others: [TestProcess]) async {
        agent.signal(SIGTERM)
        let status = await agent.wait(seconds: 60)
        #expect(status == 0, "agent exit status after SIGTERM: \(String(describing: status))\n\(agent.log)")
        await agent.stop()
        for process in others { await process.stop() }
    }

    func run(inputExtra: String, outputExtra: String, serverExtra: String = "", stream: String) async throws {
        let setup = try await Self.setUp()
        defer { setup.moto.stop() }
        try await setup.createStream(stream)
        let aggregatorPort = try freePort()
        let aggregator = try setup.aggregator(name: "aggregator", port: aggregatorPort, stream: stream, inputExtra: inputExtra)
        defer { aggregator.signal(SIGKILL) }
        #expect(await waitForPort(aggregatorPort, seconds: 120), "aggregator not listening\n\(aggregator.log)")
        let agentPort = try freePort()
        let agent = try setup.agent(
            port: agentPort,
            outputBody: "\(outputExtra)\n<server>\n host 127.0.0.1\n port \(aggregatorPort)\n\(serverExtra)\n</server>")
        defer { agent.signal(SIGKILL) }
        try await setup.send(port: agentPort, from: 0, count: 2000, agent: agent)
        let seen = try await setup.waitForAll(0..<2000, in: [stream], logs: [agent, aggregator])
        #expect(seen.count == 2000)
        await Self.stop(agent: agent, [aggregator])
    }

    @Test func plainTCPDeliversEveryEvent() async throws {
        try await run(inputExtra: "", outputExtra: "", stream: "tier-plain")
    }

    @Test func sharedKeyDeliversEveryEvent() async throws {
        try await run(
            inputExtra: "<security>\n self_hostname aggregator\n shared_key tier-secret\n</security>",
            outputExtra: "<security>\n self_hostname agent\n shared_key tier-secret\n</security>", stream: "tier-key")
    }

    /// `keepalive`: chunks share a connection (with the handshake done once), acks on it.
    @Test func keepaliveDeliversEveryEvent() async throws {
        try await run(
            inputExtra: "<security>\n self_hostname aggregator\n shared_key tier-secret\n</security>",
            outputExtra: "keepalive true\nkeepalive_timeout 2s\n<security>\n self_hostname agent\n shared_key tier-secret\n</security>",
            stream: "tier-keepalive")
    }

    /// `user_auth` on the aggregator: the `<server>`'s username and password pass the handshake.
    @Test func userAuthDeliversEveryEvent() async throws {
        try await run(
            inputExtra: """
                <security>
                  self_hostname aggregator
                  shared_key tier-secret
                  user_auth true
                  <user>
                    username alice
                    password wonderland
                  </user>
                </security>
                """,
            outputExtra: "<security>\n self_hostname agent\n shared_key tier-secret\n</security>",
            serverExtra: "username alice\npassword wonderland", stream: "tier-user")
    }

    @Test(.enabled(if: TestCertificates.openssl != nil)) func tlsDeliversEveryEvent() async throws {
        let certificates = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: certificates) }
        let directory = certificates.path
        try await run(
            inputExtra: "<transport tls>\n cert_path \(directory)/server.pem\n private_key_path \(directory)/server.key\n</transport>",
            outputExtra: "transport tls\ntls_cert_path \(directory)/ca.pem\ntls_verify_hostname true\ncompress gzip", stream: "tier-tls")
    }

    /// A wrong shared key never delivers: the agent keeps the events (and the test sees none arrive).
    @Test func wrongSharedKeyDeliversNothing() async throws {
        let setup = try await Self.setUp()
        defer { setup.moto.stop() }
        try await setup.createStream("tier-wrong")
        let aggregatorPort = try freePort()
        let aggregator = try setup.aggregator(
            name: "aggregator", port: aggregatorPort, stream: "tier-wrong",
            inputExtra: "<security>\n self_hostname aggregator\n shared_key right\n</security>")
        defer { aggregator.signal(SIGKILL) }
        let agentPort = try freePort()
        let agent = try setup.agent(
            port: agentPort,
            outputBody: "<security>\n self_hostname agent\n shared_key wrong\n</security>\n<server>\n host 127.0.0.1\n port \(aggregatorPort)\n</server>")
        defer { agent.signal(SIGKILL) }
        try await setup.send(port: agentPort, from: 0, count: 10, agent: agent)
        try await waitUntil("the agent reports the failed handshake", timeout: 120, every: .milliseconds(500)) {
            agent.log.contains("Detached forwarding server")
        }
        #expect(try await setup.seqs(in: "tier-wrong").isEmpty)
    }

    /// Two aggregators, the second `standby`: killing the primary mid-run moves the rest to the
    /// standby; what the primary had taken but not yet sent to Kinesis it sends once restarted.
    /// With heartbeats over TCP and over UDP (which in_forward answers), the restarted primary
    /// is recovered by its heartbeats.
    /// And with `keepalive`, where the kept connection to the primary breaks under a chunk.
    @Test(arguments: [("transport", false), ("udp", false), ("transport", true)])
    func killingThePrimaryFailsOverToTheStandby(heartbeatType: String, keepalive: Bool) async throws {
        let setup = try await Self.setUp()
        defer { setup.moto.stop() }
        try await setup.createStream("tier-primary")
        try await setup.createStream("tier-standby")
        let primaryPort = try freePort()
        let standbyPort = try freePort()
        var primary = try setup.aggregator(name: "primary", port: primaryPort, stream: "tier-primary")
        let standby = try setup.aggregator(name: "standby", port: standbyPort, stream: "tier-standby")
        defer {
            primary.signal(SIGKILL)
            standby.signal(SIGKILL)
        }
        #expect(await waitForPort(primaryPort, seconds: 120), "primary not listening\n\(primary.log)")
        #expect(await waitForPort(standbyPort, seconds: 120), "standby not listening\n\(standby.log)")
        let agentPort = try freePort()
        let agent = try setup.agent(
            port: agentPort,
            outputBody: """
                heartbeat_type \(heartbeatType)
                keepalive \(keepalive)
                <server>
                  name primary
                  host 127.0.0.1
                  port \(primaryPort)
                </server>
                <server>
                  name standby
                  host 127.0.0.1
                  port \(standbyPort)
                  standby true
                </server>
                """)
        defer { agent.signal(SIGKILL) }
        try await setup.send(port: agentPort, from: 0, count: 1000, agent: agent)
        try await waitUntil("the primary's stream has events", timeout: 120, every: .seconds(1)) {
            try await !setup.seqs(in: "tier-primary").isEmpty
        }
        #expect(try await setup.seqs(in: "tier-standby").isEmpty, "the standby took events while the primary was up")

        primary.signal(SIGKILL)
        _ = await primary.wait(seconds: 30)
        try await setup.send(port: agentPort, from: 1000, count: 1000, agent: agent)
        try await waitUntil("the standby's stream has events", timeout: 120, every: .seconds(1)) {
            try await !setup.seqs(in: "tier-standby").isEmpty
        }
        #expect(agent.log.contains("Detached forwarding server"), "\(agent.log)")

        // The primary comes back with its file buffer; the agent returns to it after recover_wait.
        primary = try setup.aggregator(name: "primary", port: primaryPort, stream: "tier-primary")
        let seen = try await setup.waitForAll(0..<2000, in: ["tier-primary", "tier-standby"], logs: [agent, primary, standby])
        #expect(seen.isSuperset(of: 0..<2000))
        try await waitUntil("the agent recovers the primary", timeout: 120, every: .milliseconds(500)) {
            agent.log.contains("Recovered forwarding server")
        }
        await Self.stop(agent: agent, [primary, standby])
    }
}
