import Foundation
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import Testing

@testable import RunnelApp

/// `<system> rpc_endpoint`: Fluentd's HTTP RPC paths, against the running binary; and
/// `process_name`.
@Suite(.serialized) struct RPCEndpointTests {
    /// in_http -> kinesis_streams (a memory buffer that flushes only when told) to `endpoint`.
    static func config(rpc: Int, http: Int, endpoint: String, system: String = "") -> String {
        """
        <system>
          rpc_endpoint 127.0.0.1:\(rpc)
        \(system)
        </system>
        <source>
          @type http
          bind 127.0.0.1
          port \(http)
        </source>
        <match app.**>
          @type kinesis_streams
          stream_name logs
          region us-east-1
          endpoint \(endpoint)
          aws_key_id AKIDEXAMPLE
          aws_sec_key do-not-show-this
          <buffer>
            flush_interval 1h
            flush_at_shutdown false
          </buffer>
        </match>

        """
    }

    static func work(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("runnel-rpc-\(name)-\(UUID().uuidString)")
    }

    /// A runnel with an RPC endpoint, in_http and a Kinesis output to a fake endpoint, for `body`.
    struct Running {
        let runnel: TestProcess
        let endpoint: FakeKinesisEndpoint
        let rpc: Int
        let http: Int
    }

    static func withRunnel(_ name: String, system: String = "", _ body: (Running) async throws -> Void) async throws {
        let endpoint = try await FakeKinesisEndpoint.start()
        defer { endpoint.stop() }
        let work = Self.work(name)
        defer { try? FileManager.default.removeItem(at: work) }
        let (rpc, http) = (try freePort(), try freePort())
        let config = try LifecycleTests.write(Self.config(rpc: rpc, http: http, endpoint: endpoint.url, system: system), in: work)
        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        #expect(await waitForPort(http), "\(runnel.log)")
        #expect(await waitForPort(rpc), "\(runnel.log)")
        try await body(Running(runnel: runnel, endpoint: endpoint, rpc: rpc, http: http))
    }

    @Test func endpointsAreParsedAsFluentdSplitsThem() throws {
        #expect(SystemConfiguration.splitEndpoint("127.0.0.1:24444")! == ("127.0.0.1", 24444))
        #expect(SystemConfiguration.splitEndpoint("0.0.0.0:0")! == ("0.0.0.0", 0))
        #expect(SystemConfiguration.splitEndpoint("[::1]:24444")! == ("::1", 24444))
        for bad in ["24444", ":24444", "localhost:", "localhost:port", "localhost:70000"] {
            #expect(SystemConfiguration.splitEndpoint(bad) == nil, "\(bad)")
        }
        let element = try ConfigParser.parse(text: "<system>\n  rpc_endpoint localhost\n</system>\n", file: "t.conf", environment: [:]).element(named: "system")
        #expect(throws: (any Error).self) { try SystemConfiguration(element) }
        do {
            _ = try SystemConfiguration(element)
        } catch {
            #expect("\(error)".contains("rpc_endpoint") && "\(error)".contains("HOST:PORT"), "\(error)")
        }
    }

    @Test func everyCallDoesWhatItsSignalDoes() {
        #expect(RPCCall.flushBuffers.action == .signal(SIGUSR1))
        #expect(RPCCall.reload.action == .signal(SIGHUP))
        #expect(RPCCall.gracefulReload.action == .signal(SIGUSR2))
        #expect(RPCCall.killWorkers.action == .signal(SIGTERM))
        #expect(RPCCall.interruptWorkers.action == .signal(SIGINT))
        #expect(RPCCall.flushBuffersAndKillWorkers.action == .flushThenSignal(SIGTERM))
        #expect(!RPCCall.served(enableGetDump: false).contains(.getDump))
        #expect(RPCCall.served(enableGetDump: true).contains(.getDump))
    }

    @Test func flushBuffersSendsWhatWaitsAndGetDumpNeedsEnableGetDump() async throws {
        try await Self.withRunnel("flush") { (running: Running) async throws in
            let (runnel, endpoint, rpc, http) = (running.runnel, running.endpoint, running.rpc, running.http)
            #expect(try await LifecycleTests.post(http, "/app.web", json: #"[{"n":1},{"n":2},{"n":3}]"#) == 200)
            try await Task.sleep(for: .milliseconds(500))
            #expect(endpoint.records.isEmpty, "flush_interval 1h: nothing is sent before the call")

            let answer = await LifecycleTests.get(rpc, "/api/plugins.flushBuffers")
            #expect(answer?.status == 200)
            #expect(answer?.body == #"{"ok":true}"#)
            for _ in 0..<600 where endpoint.records.count < 3 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(endpoint.records.count == 3, "\(runnel.log)")
            #expect(runnel.log.contains("SIGUSR1: flushing all buffers"), "\(runnel.log)")

            #expect(await LifecycleTests.get(rpc, "/api/config.getDump")?.status == 404, "getDump is served only with enable_get_dump")
            #expect(await LifecycleTests.get(rpc, "/api/no.such")?.status == 404)
            runnel.signal(SIGTERM)
            #expect(await runnel.wait(seconds: 60) == 0, "\(runnel.log)")
        }
    }

    @Test func getDumpReloadAndKillWorkersAndProcessName() async throws {
        try await Self.withRunnel("dump", system: "  enable_get_dump true\n  process_name runnel-agent-for-tests") { (running: Running) async throws in
            let (runnel, rpc) = (running.runnel, running.rpc)

            let comm = try String(contentsOfFile: "/proc/\(runnel.process.processIdentifier)/comm", encoding: .utf8)
            #expect(comm == "runnel-agent-fo\n", "the kernel keeps 15 bytes of process_name")

            let dump = await LifecycleTests.get(rpc, "/api/config.getDump")
            #expect(dump?.status == 200)
            let object = try JSONReader.decode(dump?.body ?? "")
            #expect(object["ok"] == .bool(true), "\(dump?.body ?? "")")
            let conf = object["conf"]?.stringValue ?? ""
            #expect(conf.contains("rpc_endpoint 127.0.0.1:\(rpc)"), "\(conf)")
            #expect(conf.contains("@type kinesis_streams"), "\(conf)")
            #expect(conf.contains("aws_sec_key xxxxxx") && !conf.contains("do-not-show-this"), "\(conf)")

            #expect(await LifecycleTests.get(rpc, "/api/config.dump")?.body == #"{"ok":true}"#)
            for _ in 0..<300 where !runnel.log.contains("running configuration:") { try await Task.sleep(for: .milliseconds(50)) }
            #expect(runnel.log.contains("running configuration:") && !runnel.log.contains("do-not-show-this"), "\(runnel.log)")

            #expect(await LifecycleTests.get(rpc, "/api/config.reload")?.body == #"{"ok":true}"#)
            for _ in 0..<600 where !runnel.log.contains("configuration reloaded") { try await Task.sleep(for: .milliseconds(50)) }
            #expect(runnel.log.contains("SIGHUP: reloading configuration"), "\(runnel.log)")
            // The RPC outlives the reload.
            #expect(await LifecycleTests.get(rpc, "/api/config.getDump")?.status == 200, "\(runnel.log)")

            #expect(await LifecycleTests.get(rpc, "/api/processes.killWorkers")?.body == #"{"ok":true}"#)
            #expect(await runnel.wait(seconds: 60) == 0, "\(runnel.log)")
        }
    }

    @Test func flushBuffersAndKillWorkersDeliversTheMemoryBufferThenExits() async throws {
        try await Self.withRunnel("flushkill") { (running: Running) async throws in
            let (runnel, endpoint, rpc, http) = (running.runnel, running.endpoint, running.rpc, running.http)
            let records = (0..<20).map { #"{"seq":\#($0)}"# }.joined(separator: ",")
            #expect(try await LifecycleTests.post(http, "/app.web", json: "[\(records)]") == 200)

            // flush_at_shutdown false and a memory buffer: a plain SIGTERM would lose these.
            #expect(await LifecycleTests.get(rpc, "/api/processes.flushBuffersAndKillWorkers")?.body == #"{"ok":true}"#)
            #expect(await runnel.wait(seconds: 60) == 0, "\(runnel.log)")
            #expect(Set(endpoint.records.map(\.text)).count == 20, "\(runnel.log)")
            #expect(!runnel.log.contains("memory buffer closed with undelivered records"), "\(runnel.log)")
        }
    }

    @Test func anEndpointThatCannotListenStopsTheStartNamingIt() async throws {
        let work = Self.work("taken")
        defer { try? FileManager.default.removeItem(at: work) }
        let taken = try await FakeKinesisEndpoint.start()
        defer { taken.stop() }
        let port = Int(taken.url.split(separator: ":").last!)!
        let config = try LifecycleTests.write("<system>\n  rpc_endpoint 127.0.0.1:\(port)\n</system>\n<match **>\n  @type null\n</match>\n", in: work)
        let result = try await TestProcess.run(Paths.runnel, ["-c", config.path])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("rpc_endpoint 127.0.0.1:\(port): cannot listen"), "\(result.output)")
    }
}
