import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import RunnelHTTPInput

/// An EventSink that keeps what it is given, or refuses everything as a full buffer does.
final class HTTPTestSink: EventSink {
    private let received = Mutex<[(tag: String, time: EventTime, record: MessagePackValue)]>([])
    let refusing: Bool

    init(refusing: Bool = false) { self.refusing = refusing }

    func emit(_ stream: EventStream) async throws {
        if refusing { throw PipelineError.bufferOverflow(output: "kinesis_streams.0") }
        let entries = try stream.decodedEntries()
        received.withLock { $0 += entries.map { (stream.tag, $0.time, $0.record) } }
    }

    var events: [(tag: String, time: EventTime, record: MessagePackValue)] { received.withLock { $0 } }
}

/// Runs an HTTP input on 127.0.0.1, hands `body` its port, then shuts it down gracefully.
func withHTTPInput(_ element: ConfigElement, sink: HTTPTestSink, _ body: @Sendable (Int) async throws -> Void) async throws {
    let input = try HTTPInput(
        configuration: try HTTPInputConfiguration(element), sink: sink, logger: LogCapture().logger(level: .info),
        listeners: ListenerSockets())
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await input.run() }
            let port = try await input.boundPort
            do {
                try await body(port)
            } catch {
                trigger.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            trigger.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

let clientPython = Python.first(importing: ["requests", "cloudevents.core.v1.event"])

/// Runs a Python client program against `port`; returns what it printed (a JSON document).
func runClient(_ script: String, port: Int, _ extra: [String] = []) async throws -> MessagePackValue {
    let result = try await Python.run(clientPython!, ["-c", script, String(port)] + extra)
    guard result.status == 0 else { throw TestFailure("the Python client exited \(result.status): \(result.output)") }
    return try JSONReader.decode(result.output)
}

/// in_http and CloudEvents fed by real clients: Python's `requests` and the CloudEvents SDK.
@Suite(.serialized, .enabled(if: clientPython != nil, "python3 with requests and cloudevents is needed (pip install requests cloudevents)"))
struct HTTPInputTests {
    static let clients = #"""
        import gzip, json, sys, requests
        from cloudevents.core.v1.event import CloudEvent
        from cloudevents.core.bindings.http import to_binary, to_structured
        from cloudevents.core.formats.json import JSONFormat

        base = "http://127.0.0.1:%s" % sys.argv[1]
        session = requests.Session()
        fmt = JSONFormat()
        statuses = []
        def post(path, **kw):
            statuses.append(session.post(base + path, **kw).status_code)

        post("/app.log", data={"json": json.dumps({"n": 1})})
        post("/app.log?time=1518756037", json={"n": 2})
        post("/app.log", json=[{"n": 3}, {"n": 4}])
        post("/app.log", data=b'{"n":', headers={"Content-Type": "application/json"})
        post("/app.log", data=gzip.compress(b'{"n": 5}'), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        m = to_binary(CloudEvent({"type": "com.example.order", "source": "/shop", "id": "e1"}, {"n": 6}), fmt)
        post("/ce", data=m.body, headers=m.headers)
        structured = to_structured(CloudEvent({"type": "com.example.order", "source": "/shop", "id": "e2"}, {"n": 7}), fmt)
        post("/ce", data=structured.body, headers=structured.headers)
        batch = b"[" + b",".join(fmt.write(CloudEvent({"type": "com.example.batch", "source": "/shop", "id": "b%d" % i}, {"n": 8 + i})) for i in range(2)) + b"]"
        post("/ce", data=batch, headers={"Content-Type": "application/cloudevents-batch+json"})
        post("/ce", data=b'{"specversion":"1.0","type":"x","source":"/s"}', headers={"Content-Type": "application/cloudevents+json"})
        post("/ce", data=structured.body, headers=structured.headers)
        print(json.dumps(statuses))
        """#

    @Test func pythonClientsPostInHTTPAndCloudEvents() async throws {
        let sink = HTTPTestSink()
        try await withHTTPInput(source(["cloudevents": "true", "cloudevents_tag": "ce.${type}"]), sink: sink) { port in
            let statuses = try await runClient(Self.clients, port: port)
            #expect(statuses == [200, 200, 200, 400, 200, 200, 200, 200, 400, 200])
        }
        let events = sink.events
        #expect(events.compactMap { $0.record["n"] } == [1, 2, 3, 4, 5, 6, 7, 8, 9, 7])
        #expect(
            events.map(\.tag) == [
                "app.log", "app.log", "app.log", "app.log", "app.log", "ce.com.example.order", "ce.com.example.order", "ce.com.example.batch",
                "ce.com.example.batch", "ce.com.example.order",
            ])
        #expect(events[1].time == EventTime(seconds: 1_518_756_037))
    }

    static let statusAndHeaders = #"""
        import json, sys, requests
        base = "http://127.0.0.1:%s" % sys.argv[1]
        r = requests.post(base + "/full", json={"n": 1}, headers={"Origin": "https://app.example.com"})
        other = requests.post(base + "/full", json={"n": 1}, headers={"Origin": "https://evil.example.org"})
        o = requests.options(base + "/full", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
        g = requests.get(base + "/full")
        big = requests.post(base + "/full", data=b"x" * 2048, headers={"Content-Type": "application/json"})
        print(json.dumps({"status": r.status_code, "retry": r.headers.get("Retry-After"), "body": r.text,
                          "preflight": o.status_code, "allow": o.headers.get("Access-Control-Allow-Origin"),
                          "get": g.status_code, "big": big.status_code, "other": other.status_code}))
        """#

    @Test func aFullBufferIsAnswered503WithRetryAfter() async throws {
        let sink = HTTPTestSink(refusing: true)
        try await withHTTPInput(source(["cors_allow_origins": "[\"https://*.example.com\"]", "body_size_limit": "1k"]), sink: sink) { port in
            let answer = try await runClient(Self.statusAndHeaders, port: port)
            #expect(answer["status"] == 503)
            #expect(answer["retry"] == "1")
            #expect(answer["body"]?.stringValue?.contains("buffer of kinesis_streams.0 is full") == true)
            #expect(answer["preflight"] == 200)
            #expect(answer["allow"] == "https://app.example.com")
            #expect(answer["get"] == 200)
            #expect(answer["big"] == 413)
            #expect(answer["other"] == 403)
        }
    }

    static let tlsClient = #"""
        import json, sys, requests
        r = requests.post("https://127.0.0.1:%s/secure" % sys.argv[1], json={"over": "tls"}, verify=sys.argv[2])
        print(json.dumps(r.status_code))
        """#

    @Test(.enabled(if: TestCertificates.openssl != nil, "the openssl command is not installed"))
    func transportTLS() async throws {
        let directory = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let sink = HTTPTestSink()
        let tls = ConfigElement("transport", "tls", ["cert_path": path("server.pem"), "private_key_path": path("server.key")])
        try await withHTTPInput(source(["use_204_response": "true"], [tls]), sink: sink) { port in
            let status = try await runClient(Self.tlsClient, port: port, [path("ca.pem")])
            #expect(status == 204)
        }
        #expect(sink.events.map(\.record) == [.record(["over": "tls"])])
    }
}
