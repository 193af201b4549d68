import Foundation
import RunnelCore
import RunnelTestSupport
import Testing

/// The main job end to end with real peers: Python's fluent-logger -> runnel (Forward input,
/// file buffer, kinesis_streams) -> moto, read back with boto3.
@Suite(.serialized) struct EndToEndTests {
    @Test func forwardThroughFileBufferToKinesis() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-e2e-\(UUID().uuidString)")
        let forwardPort = try freePort()
        let environment = [
            "RUNNEL_KINESIS_ENDPOINT": moto.endpoint, "RUNNEL_FORWARD_PORT": "\(forwardPort)",
            "RUNNEL_STREAM": "e2e", "RUNNEL_BUFFER_PATH": work.appendingPathComponent("buffer").path,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path
        let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", "e2e", "--shards", "3"])
        #expect(created.status == 0, "\(created.output)")

        let runnel = try TestProcess(Paths.runnel, ["-c", "conf.d/kinesis-local.conf"], environment: environment)
        defer { Task { await runnel.stop() } }
        let sent = try await TestProcess.run("python3", [helper, "send", "--port", "\(forwardPort)", "--events", "2000"])
        #expect(sent.status == 0, "\(sent.output)\n\(runnel.log)")
        let verified = try await TestProcess.run(
            "python3", [helper, "verify", "--endpoint", moto.endpoint, "--stream", "e2e", "--events", "2000", "--timeout", "60"])
        #expect(verified.status == 0, "\(verified.output)\n\(runnel.log)")
        #expect(verified.output.contains("every event arrived"))

        runnel.signal(SIGTERM)
        let status = await runnel.wait(seconds: 30)
        #expect(status == 0, "runnel exit status after SIGTERM: \(String(describing: status))\n\(runnel.log)")
        try? FileManager.default.removeItem(at: work)
    }
}

/// conf.d/http-events.conf end to end: Python's requests and the CloudEvents SDK -> runnel
/// (http input with CloudEvents, sample input, file buffer, kinesis_streams with one partition
/// key) -> moto, read back with boto3.
@Suite(.serialized) struct HTTPEndToEndTests {
    @Test func inHTTPAndCloudEventsThroughFileBufferToKinesis() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-e2e-http-\(UUID().uuidString)")
        let httpPort = try freePort()
        let environment = [
            "RUNNEL_KINESIS_ENDPOINT": moto.endpoint, "RUNNEL_HTTP_PORT": "\(httpPort)", "RUNNEL_STREAM": "e2e-http",
            "RUNNEL_BUFFER_PATH": work.appendingPathComponent("buffer").path, "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let helper = Paths.packageRoot.appendingPathComponent("scripts/local_kinesis.py").path
        let created = try await TestProcess.run("python3", [helper, "create", "--endpoint", moto.endpoint, "--stream", "e2e-http", "--shards", "2"])
        #expect(created.status == 0, "\(created.output)")

        let runnel = try TestProcess(Paths.runnel, ["-c", "conf.d/http-events.conf"], environment: environment)
        defer { Task { await runnel.stop() } }
        let events = 600
        let posted = try await TestProcess.run("python3", [helper, "post", "--port", "\(httpPort)", "--events", "\(events)"])
        #expect(posted.status == 0, "\(posted.output)\n\(runnel.log)")
        let dumped = try await TestProcess.run(
            "python3", [helper, "dump", "--endpoint", moto.endpoint, "--stream", "e2e-http", "--records", "\(2 * events + 1)", "--timeout", "60"])
        #expect(dumped.status == 0, "\(dumped.output)\n\(runnel.log)")
        var seqs: [Int] = []
        var heartbeats = 0
        for line in dumped.output.split(separator: "\n") {
            let record = try JSONReader.decode(String(line))
            if record["message"] == "heartbeat" {
                heartbeats += 1
            } else if case .uint(let seq) = record["seq"] ?? .nil {
                seqs.append(Int(seq))
            }
        }
        #expect(seqs.sorted() == Array(0..<(2 * events)), "\(seqs.count) distinct events of \(2 * events)\n\(runnel.log)")
        #expect(heartbeats >= 1)
        runnel.signal(SIGTERM)
        let status = await runnel.wait(seconds: 30)
        #expect(status == 0, "runnel exit status after SIGTERM: \(String(describing: status))\n\(runnel.log)")
        try? FileManager.default.removeItem(at: work)
    }
}
