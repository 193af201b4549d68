import Foundation
import RunnelTestSupport
import Testing

/// A real Fluent Bit agent forwarding to Runnel: the binary is the caller's (built from Fluent Bit's
/// source outside this repository), named by RUNNEL_PEER_FLUENT_BIT; without it the test is skipped.
/// Fluent Bit tails JSON lines and sends them with out_forward (shared key, acks, gzip) to Runnel's
/// forward input, which ships them to moto; and the other way round, Runnel's out_forward sends
/// to Fluent Bit's forward input.
@Suite(.serialized) struct FluentBitPeerTests {
    static let fluentBit = ProcessInfo.processInfo.environment["RUNNEL_PEER_FLUENT_BIT"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }

    @Test(.enabled(if: fluentBit != nil, "set RUNNEL_PEER_FLUENT_BIT to a Fluent Bit binary"), arguments: [true, false])
    func everyTailedLineArrivesInKinesis(gzip: Bool) async throws {
        let events = 5000
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path
        let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", "fb", "--shards", "2"])
        #expect(created.status == 0, "\(created.output)")

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-fluent-bit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let runnelConf = """
            <source>
              @type forward
              bind 127.0.0.1
              port \(port)
              <security>
                self_hostname runnel-aggregator
                shared_key s3cr3t
              </security>
            </source>
            <match app.**>
              @type kinesis_streams
              stream_name fb
              region us-east-1
              endpoint \(moto.endpoint)
              partition_key user_id
              <buffer>
                @type file
                path \(work.path)/buffer
                flush_interval 1s
              </buffer>
            </match>
            """
        try Data(runnelConf.utf8).write(to: work.appendingPathComponent("runnel.conf"))
        let lines = (0..<events).map { #"{"seq":\#($0),"user_id":"user-\#($0 % 7)","message":"GET /item/\#($0) 200"}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: work.appendingPathComponent("app.log"))
        let fluentBitConf = """
            [SERVICE]
                Flush        1
                Log_Level    info
                Parsers_File \(work.path)/parsers.conf
            [INPUT]
                Name           tail
                Path           \(work.path)/app.log
                Read_from_Head true
                Tag            app.fluentbit
                Parser         json
            [OUTPUT]
                Name                 forward
                Match                *
                Host                 127.0.0.1
                Port                 \(port)
                Self_Hostname        fluent-bit-agent
                Shared_Key           s3cr3t
                Require_ack_response true
            \(gzip ? "    Compress             gzip" : "")
            """
        try Data(fluentBitConf.utf8).write(to: work.appendingPathComponent("fluent-bit.conf"))
        try Data("[PARSER]\n    Name   json\n    Format json\n".utf8).write(to: work.appendingPathComponent("parsers.conf"))

        let runnel = try TestProcess(
            Paths.runnel, ["-c", work.appendingPathComponent("runnel.conf").path],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(port), "\(runnel.log)")
        let agent = try TestProcess(Self.fluentBit!, ["-c", work.appendingPathComponent("fluent-bit.conf").path])
        defer { Task { await agent.stop() } }
        let verified = try await TestProcess.run(
            "python3", [helper, "verify", "--endpoint", moto.endpoint, "--stream", "fb", "--events", "\(events)", "--timeout", "90"])
        #expect(verified.status == 0, "\(verified.output)\nrunnel:\n\(runnel.log)\nfluent-bit:\n\(agent.log)")
        #expect(verified.output.contains("every event arrived"))
        #expect(!agent.log.contains("[error]"), "\(agent.log)")
    }

    /// Runnel as the agent: it tails JSON lines and sends them with out_forward (shared key,
    /// acks, with and without gzip) to a Fluent Bit aggregator's forward input, which writes them
    /// to a file; every line arrives once.
    @Test(.enabled(if: fluentBit != nil, "set RUNNEL_PEER_FLUENT_BIT to a Fluent Bit binary"), arguments: [true, false])
    func runnelForwardsToFluentBit(gzip: Bool) async throws {
        let events = 5000
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-to-fluent-bit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("out"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let fluentBitConf = """
            [SERVICE]
                Flush     1
                Log_Level info
            [INPUT]
                Name          forward
                Listen        127.0.0.1
                Port          \(port)
                Self_Hostname fluent-bit-aggregator
                Shared_Key    s3cr3t
            [OUTPUT]
                Name   file
                Match  *
                Path   \(work.path)/out
                File   got.log
                Format plain
            """
        try Data(fluentBitConf.utf8).write(to: work.appendingPathComponent("fluent-bit.conf"))
        let lines = (0..<events).map { #"{"seq":\#($0),"message":"GET /item/\#($0) 200"}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: work.appendingPathComponent("app.log"))
        let runnelConf = """
            <source>
              @type tail
              path \(work.path)/app.log
              pos_file \(work.path)/app.pos
              read_from_head true
              tag app.runnel
              <parse>
                @type json
              </parse>
            </source>
            <match app.**>
              @type forward
              require_ack_response true
              \(gzip ? "compress gzip" : "")
              <security>
                self_hostname runnel-agent
                shared_key s3cr3t
              </security>
              <server>
                host 127.0.0.1
                port \(port)
              </server>
              <buffer>
                @type file
                path \(work.path)/buffer
                flush_interval 1s
              </buffer>
            </match>
            """
        try Data(runnelConf.utf8).write(to: work.appendingPathComponent("runnel.conf"))

        let aggregator = try TestProcess(Self.fluentBit!, ["-c", work.appendingPathComponent("fluent-bit.conf").path])
        defer { Task { await aggregator.stop() } }
        #expect(await waitForPort(port), "\(aggregator.log)")
        let runnel = try TestProcess(Paths.runnel, ["-c", work.appendingPathComponent("runnel.conf").path, "--strict"])
        defer { Task { await runnel.stop() } }

        let output = work.appendingPathComponent("out/got.log")
        var seqs: [Int] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            seqs = text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
            }
            if seqs.count >= events { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(seqs.count == events, "\(seqs.count) of \(events)\nrunnel:\n\(runnel.log.suffix(2000))\nfluent-bit:\n\(aggregator.log.suffix(2000))")
        let missing = Set(0..<events).subtracting(seqs)
        #expect(missing.count == 0, "\(missing.count) missing, e.g. \(missing.sorted().prefix(5))")
        // The transport heartbeat connects and closes each second (docs/forward-output.md), and Fluent
        // Bit logs each such connection as a handshake that did not come: nothing else may fail.
        let errors = aggregator.log.split(separator: "\n").filter {
            $0.contains("[error]") && !$0.contains("handshake error expecting PING") && !$0.contains("handshake error checking PING")
        }
        #expect(errors.isEmpty, "\(errors.prefix(10).joined(separator: "\n"))")
    }
}
