import Foundation
import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycleTestKit
import Synchronization

@testable import RunnelSyslog

#if canImport(Glibc)
    import Glibc
#endif

/// An EventSink that keeps every event it is given, decoded, with its tag.
final class RecordingSink: EventSink {
    private let received = Mutex<[(tag: String, time: EventTime, record: MessagePackValue)]>([])

    func emit(_ stream: EventStream) async throws {
        let entries = try stream.decodedEntries()
        received.withLock { $0 += entries.map { (stream.tag, $0.time, $0.record) } }
    }

    var events: [(tag: String, time: EventTime, record: MessagePackValue)] { received.withLock { $0 } }

    /// The events once `count` have arrived (or what arrived when the wait ran out).
    func events(count: Int) async throws -> [(tag: String, time: EventTime, record: MessagePackValue)] {
        try await polled(timeout: 30, { events }, until: { $0.count >= count })
    }
}

/// A `<source>` section for 127.0.0.1 on port 0, with `parameters` and child sections.
func source(_ parameters: [String: String], _ children: [ConfigElement] = []) -> ConfigElement {
    var all = ["bind": "127.0.0.1", "port": "0"]
    all.merge(parameters) { $1 }
    return ConfigElement(
        name: "source", parameters: all.sorted { $0.key < $1.key }.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) },
        children: children)
}

/// Runs a SocketInput, hands `body` its port, then shuts it down gracefully and checks that
/// `run()` returned.
func withSocketInput<Interpreter: MessageInterpreter>(
    _ made: (SocketInputConfiguration, Interpreter), sink: RecordingSink, logs: LogCapture = LogCapture(),
    listeners: ListenerSockets = ListenerSockets(), _ body: @Sendable (Int) async throws -> Void
) async throws {
    let input = try SocketInput(configuration: made.0, interpreter: made.1, sink: sink, logger: logs.logger(level: .info), listeners: listeners)
    try await testGracefulShutdownRunning(input, body)
}

/// Runs `input`, hands `body` its port, then shuts it down gracefully and checks that `run()` returned.
func testGracefulShutdownRunning<Interpreter: MessageInterpreter>(
    _ input: SocketInput<Interpreter>, _ body: @Sendable (Int) async throws -> Void
) async throws {
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

/// Runs a program to completion (see `Program`); throws with its output unless it exits 0.
func runProgram(_ path: String, _ arguments: [String]) async throws {
    let result = try await Program.run(path, arguments, standardError: .merged)
    guard result.status == 0 else {
        throw TestFailure("\(path) \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
    }
}

/// util-linux's logger sending one message to 127.0.0.1:`port`.
func logger(port: Int, _ options: [String], _ message: String) async throws {
    try await runProgram("/usr/bin/logger", ["--server", "127.0.0.1", "--port", "\(port)"] + options + ["--", message])
}

/// This machine's name as logger writes it: RFC 5424 the full name, RFC 3164 up to the first dot.
func hostName(short: Bool) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return short ? String(name.prefix { $0 != "." }) : name
}

/// Connects to 127.0.0.1:`port`, sends each piece as its own write (a pause between lets them
/// arrive as separate reads), then closes.
func sendTCP(port: Int, _ pieces: [[UInt8]]) async throws {
    guard let fd = connectLoopback(port: port) else { throw TestFailure("connect(127.0.0.1:\(port)): errno \(errno)") }
    defer { close(fd) }
    for piece in pieces {
        let sent = piece.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == piece.count else { throw TestFailure("send: \(sent) of \(piece.count) bytes, errno \(errno)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Sends one datagram to 127.0.0.1:`port`.
func sendUDP(port: Int, _ bytes: [UInt8]) throws {
    guard let fd = connectLoopback(port: port, datagram: true) else { throw TestFailure("socket(): errno \(errno)") }
    defer { close(fd) }
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    guard sent == bytes.count else { throw TestFailure("send: \(sent) of \(bytes.count) bytes, errno \(errno)") }
}

/// A real rsyslogd with its own configuration, work directory and pid file in a temporary
/// directory: no system paths, no imuxsock (only the modules its configuration loads), in the
/// foreground (`-n`) so that it is this process's child and `stop()` ends it.
final class Rsyslogd {
    static let path = "/usr/sbin/rsyslogd"
    let directory: TemporaryDirectory
    let process = Process()

    /// `configuration` is the rest of rsyslog.conf after the `global(workDirectory=...)` line.
    init(configuration: String) async throws {
        directory = try TemporaryDirectory(prefix: "runnel-rsyslogd")
        let conf = try directory.write("rsyslog.conf", "global(workDirectory=\"\(directory.path)\")\n" + configuration)
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = ["-f", conf, "-i", directory.path("rsyslogd.pid"), "-n"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try await runProgram(Self.path, ["-N1", "-f", conf])  // rsyslogd's own configuration check
        try process.run()
    }

    /// SIGKILL: the test process blocks SIGTERM in its threads and a child inherits the mask,
    /// so rsyslogd would never see a SIGTERM (the same reason as MotoServer's).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        directory.remove()
    }

    deinit { stop() }
}
