import Foundation
import RunnelCore
import RunnelTestSupport
import Testing
@testable import RunnelForward

/// Real clients nobody here wrote: fluent-logger (PyPI `fluent-logger`) and a spec-following
/// client on the `msgpack` package, run as subprocesses against the in-process ForwardInput.
@Suite struct PythonClientTests {
    static let clients = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("clients")

    /// Whether `python3` can import `module`; a missing package skips the test with a message.
    static func pythonHas(_ module: String) -> Bool {
        (try? run(["-c", "import \(module)"]).status) == 0
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Program.runBlocking("/usr/bin/env", ["python3"] + arguments, standardError: .merged)
    }

    /// Runs the script off the cooperative pool (see `Program`).
    static func runScript(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Program.run("/usr/bin/env", ["python3", clients.appendingPathComponent(name).path] + arguments, standardError: .merged)
    }

    @Test(
        .enabled(if: pythonHas("fluent.sender"), "python3 package fluent-logger is not installed (pip install fluent-logger)"),
        arguments: ["sync", "async"])
    func fluentLogger(mode: String) async throws {
        let sink = CapturingSink()
        try await withForwardInput(sink: sink) { _, port in
            let result = try await Self.runScript("fluent_logger_client.py", ["127.0.0.1", "\(port)", mode, "25"])
            #expect(result.status == 0, "\(result.output)")
            try await waitUntil("25 events from fluent-logger") { sink.eventCount >= 25 }
        }
        let events = try sink.events()
        #expect(events.count == 25)
        #expect(events.allSatisfy { $0.tag == "pylogger.\(mode)" })
        let numbers: [MessagePackValue?] = events.map { $0.record["n"] }
        let expectedNumbers: [MessagePackValue?] = (0..<25).map { MessagePackValue.uint(UInt64($0)) }
        #expect(numbers == expectedNumbers)
        let seconds: [UInt32] = events.map(\.time.seconds)
        let expectedSeconds: [UInt32] = (0..<25).map { 1_700_000_000 + UInt32($0) }
        #expect(seconds == expectedSeconds)
    }

    @Test(
        .enabled(if: pythonHas("msgpack"), "python3 package msgpack is not installed (pip install msgpack)"),
        arguments: ["message", "forward", "packed", "compressed"], [false, true])
    func specClient(mode: String, sharedKey: Bool) async throws {
        let sink = CapturingSink()
        var configuration = localConfiguration()
        if sharedKey {
            configuration.security = ForwardSecurity(
                selfHostname: "runnel", sharedKey: Secret("py-key"), userAuth: true,
                users: [.init(username: "fluent", password: Secret("pw"))])
        }
        try await withForwardInput(configuration, sink: sink) { _, port in
            var arguments = ["127.0.0.1", "\(port)", mode, "--count", "40", "--ack"]
            if sharedKey { arguments += ["--shared-key", "py-key", "--username", "fluent", "--password", "pw"] }
            let result = try await Self.runScript("spec_client.py", arguments)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("OK 40"))
            // Acknowledged, so already emitted.
            #expect(sink.eventCount == 40)
        }
        let events = try sink.events()
        let numbers: [MessagePackValue?] = events.map { $0.record["n"] }
        let expectedNumbers: [MessagePackValue?] = (0..<40).map { MessagePackValue.uint(UInt64($0)) }
        #expect(numbers == expectedNumbers)
        let times: [EventTime] = events.map(\.time)
        let expectedTimes: [EventTime] = (0..<40).map { EventTime(seconds: 1_700_000_000 + UInt32($0), nanoseconds: UInt32($0 * 1000)) }
        #expect(times == expectedTimes)
    }

    @Test(.enabled(if: pythonHas("msgpack"), "python3 package msgpack is not installed (pip install msgpack)"))
    func specClientWithWrongKeyIsRefused() async throws {
        let sink = CapturingSink()
        let configuration = localConfiguration { $0.security = ForwardSecurity(selfHostname: "runnel", sharedKey: Secret("right")) }
        try await withForwardInput(configuration, sink: sink) { _, port in
            let result = try await Self.runScript("spec_client.py", ["127.0.0.1", "\(port)", "packed", "--ack", "--shared-key", "wrong"])
            #expect(result.status == 1)
            #expect(result.output.contains("shared_key mismatch"))
        }
        #expect(sink.eventCount == 0)
    }
}
