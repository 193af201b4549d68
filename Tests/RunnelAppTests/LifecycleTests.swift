import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import RunnelCore
import RunnelTestSupport
import Testing

/// The process as an operator meets it: `/readyz`, SIGUSR2, a second SIGTERM, JSON logs.
@Suite(.serialized) struct LifecycleTests {
    static func write(_ text: String, in work: URL) throws -> URL {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let config = work.appendingPathComponent("fluent.conf")
        try Data(text.utf8).write(to: config)
        return config
    }

    /// The status and body of GET `path`.
    static func get(_ port: Int, _ path: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    static func post(_ port: Int, _ path: String, json: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(json.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// in_http -> kinesis_streams to a fake endpoint, with monitor_agent's /readyz.
    static func kinesisConfig(monitor: Int, http: Int, endpoint: String, buffer: String) -> String {
        """
        <system>
          <log>
            format json
            time_format %Y-%m-%dT%H:%M:%S%z
          </log>
        </system>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port \(monitor)
          readiness_stall_timeout 2s
        </source>
        <source>
          @type http
          bind 127.0.0.1
          port \(http)
        </source>
        <match app.**>
          @type kinesis_streams
          @id to_kinesis
          stream_name logs
          region us-east-1
          endpoint \(endpoint)
          aws_key_id AKIDEXAMPLE
          aws_sec_key secret
          retries_on_batch_request 1
          <buffer>
            @type file
            path \(buffer)
            flush_interval 0.2s
            retry_wait 0.5s
            retry_max_interval 1s
            flush_at_shutdown true
          </buffer>
        </match>

        """
    }

    @Test func readinessTurnsNotReadyWhileKinesisRefusesAndReadyAfter() async throws {
        let endpoint = try await FakeKinesisEndpoint.start(FakeKinesisEndpoint.Faults(failFraction: 1.0))
        defer { endpoint.stop() }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-readyz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (monitor, http) = (try freePort(), try freePort())
        let config = try Self.write(
            Self.kinesisConfig(monitor: monitor, http: http, endpoint: endpoint.url, buffer: work.appendingPathComponent("buffer").path), in: work)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(http), "\(runnel.log)")
        #expect(await Self.get(monitor, "/readyz")?.status == 200, "\(runnel.log)")
        #expect(try await Self.post(http, "/app.web", json: #"[{"n":1},{"n":2},{"n":3}]"#) == 200)

        var answer = await Self.get(monitor, "/readyz")
        for _ in 0..<300 where answer?.status != 503 {
            try await Task.sleep(for: .milliseconds(100))
            answer = await Self.get(monitor, "/readyz")
        }
        #expect(answer?.status == 503, "\(runnel.log)")
        #expect(answer?.body.contains("output to_kinesis (kinesis_streams): nothing delivered for") == true, "\(answer?.body ?? "")")
        #expect(await Self.get(monitor, "/healthz")?.status == 200)

        endpoint.setFaults { $0.failFraction = 0 }
        for _ in 0..<600 where answer?.status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            answer = await Self.get(monitor, "/readyz")
        }
        #expect(answer?.status == 200, "\(answer?.body ?? "")\n\(runnel.log)")
        let accepted = endpoint.records.map { $0.text }
        #expect(accepted.count >= 3, "\(accepted)")

        // Runnel's own log lines are one JSON object each, with the configured time format.
        let lines = runnel.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty, "\(runnel.log)")
        for line in lines {
            let object = try JSONReader.decode(String(line))
            #expect(object["level"] != nil && object["message"] != nil)
            #expect(object["time"]?.stringValue?.count == "2026-12-02T10:00:00+0000".count, "\(line)")
        }
    }

    @Test func aSecondSIGTERMExitsAtOnceAndTheFileBufferKeepsTheEvents() async throws {
        let endpoint = try await FakeKinesisEndpoint.start(FakeKinesisEndpoint.Faults(delay: .seconds(30)))
        defer { endpoint.stop() }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-sigterm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (monitor, http) = (try freePort(), try freePort())
        let buffer = work.appendingPathComponent("buffer").path
        let config = try Self.write(Self.kinesisConfig(monitor: monitor, http: http, endpoint: endpoint.url, buffer: buffer), in: work)
        let first = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await first.stop() } }
        #expect(await waitForPort(http), "\(first.log)")
        let records = (0..<50).map { #"{"seq":\#($0)}"# }.joined(separator: ",")
        #expect(try await Self.post(http, "/app.web", json: "[\(records)]") == 200)
        // The first request hangs at the endpoint; SIGTERM starts a flush that cannot finish.
        for _ in 0..<100 where endpoint.stats.requests == 0 { try await Task.sleep(for: .milliseconds(100)) }
        first.signal(SIGTERM)
        #expect(await first.wait(seconds: 1.5) == nil, "the first SIGTERM must wait for the flush\n\(first.log)")
        first.signal(SIGTERM)
        let status = await first.wait(seconds: 5)
        #expect(status == 1, "\(first.log)")
        #expect(first.log.contains("SIGTERM again while stopping: exiting now"), "\(first.log)")

        // Started again against an endpoint that answers, every event is delivered.
        endpoint.setFaults { $0.delay = .zero }
        let second = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await second.stop() } }
        for _ in 0..<300 where Set(endpoint.records.map(\.text)).count < 50 { try await Task.sleep(for: .milliseconds(100)) }
        let delivered = Set(endpoint.records.map { $0.text })
        #expect(delivered.count == 50, "\(delivered.count) distinct records\n\(second.log)")
    }

    @Test func sigusr2ReloadsLikeSIGHUP() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-sigusr2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let port = try freePort()
        let config = try Self.write(
            "<source>\n  @type http\n  bind 127.0.0.1\n  port \(port)\n</source>\n<match **>\n  @type null\n</match>\n", in: work)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(port), "\(runnel.log)")
        runnel.signal(SIGUSR2)
        for _ in 0..<300 where !runnel.log.contains("configuration reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(runnel.log.contains("SIGUSR2: reloading configuration"), "\(runnel.log)")
        #expect(runnel.log.contains("configuration reloaded"), "\(runnel.log)")
        #expect(try await Self.post(port, "/after.reload", json: "{}") == 200)
        runnel.signal(SIGTERM)
        #expect(await runnel.wait(seconds: 30) == 0, "\(runnel.log)")
    }
}
