import Foundation
import Logging
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycle
import Synchronization
@testable import RunnelSystemd

/// One journal entry to write: its realtime timestamp (microseconds) and fields (values as bytes).
struct TestEntry {
    var realtime: UInt64
    var fields: [(String, [UInt8])]

    init(realtime: UInt64, _ fields: [(String, String)]) {
        self.realtime = realtime
        self.fields = fields.map { ($0.0, Array($0.1.utf8)) }
    }

    init(realtime: UInt64, binary fields: [(String, [UInt8])]) {
        self.realtime = realtime
        self.fields = fields
    }
}

/// Writes real journal files: entries in the Journal Export Format, converted (and appended to an
/// existing file) by systemd's own `systemd-journal-remote`.
enum JournalWriter {
    static let bootID = "0123456789abcdef0123456789abcdef"

    static var remoteBinary: String {
        for path in ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "/lib/systemd/systemd-journal-remote"
    }

    /// The export format (https://systemd.io/JOURNAL_EXPORT_FORMATS/): `NAME=value` lines, or for
    /// a value with a newline or other control bytes `NAME\n`, a little-endian 64-bit length, the bytes, `\n`.
    static func export(_ entries: [TestEntry]) -> [UInt8] {
        var out: [UInt8] = []
        func line(_ text: String) { out.append(contentsOf: Array(text.utf8)); out.append(0x0a) }
        for entry in entries {
            line("__REALTIME_TIMESTAMP=\(entry.realtime)")
            line("__MONOTONIC_TIMESTAMP=\(entry.realtime / 1000)")
            line("_BOOT_ID=\(bootID)")
            for (name, value) in entry.fields {
                if value.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
                    out.append(contentsOf: Array(name.utf8))
                    out.append(0x0a)
                    var length = UInt64(value.count).littleEndian
                    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
                    out.append(contentsOf: value)
                    out.append(0x0a)
                } else {
                    out.append(contentsOf: Array(name.utf8))
                    out.append(UInt8(ascii: "="))
                    out.append(contentsOf: value)
                    out.append(0x0a)
                }
            }
            out.append(0x0a)
        }
        return out
    }

    /// Appends `entries` to the journal file `path` (created if missing).
    /// The wait is on a thread of its own (see `Program`).
    static func append(_ entries: [TestEntry], to path: String) async throws {
        let bytes = Data(export(entries))
        try await onOwnThread { try write(bytes, to: path) }
    }

    private static func write(_ bytes: Data, to path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: remoteBinary)
        process.arguments = ["--output=\(path)", "-"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(bytes)
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw JournalWriterError(message: "systemd-journal-remote exited with \(process.terminationStatus)")
        }
    }

    /// The `__CURSOR` of every entry of `path`, as journalctl prints them: an oracle for stored cursors.
    static func cursors(of path: String) async throws -> [String] {
        let exported = try await Program.run("/usr/bin/journalctl", ["--file=\(path)", "-o", "export", "--no-pager"])
        return exported.output.split(separator: "\n")
            .filter { $0.hasPrefix("__CURSOR=") }.map { String($0.dropFirst("__CURSOR=".count)) }
    }
}

struct JournalWriterError: Error { var message: String }

/// Collects what the input emits.
final class CollectingSink: EventSink {
    let events = Mutex<[(tag: String, time: EventTime, record: MessagePackValue)]>([])

    func emit(_ stream: EventStream) async throws {
        let decoded = try stream.decodedEntries().map { (stream.tag, $0.time, $0.record) }
        events.withLock { $0.append(contentsOf: decoded) }
    }

    var messages: [String] { events.withLock { $0.compactMap { $0.record["MESSAGE"]?.stringValue ?? $0.record["message"]?.stringValue } } }

    /// Waits (polling, with a generous limit) until `condition` holds for the messages.
    func wait(timeout: Double = 60, until condition: ([String]) -> Bool) async throws -> [String] {
        try await polled(timeout: timeout, { messages }, until: condition)
    }
}

/// A running systemd input, stopped gracefully by `stop()`.
struct RunningInput {
    let plugin: SystemdInputPlugin
    let group: ServiceGroup
    let task: Task<Void, any Error>

    init(_ configuration: SystemdInputConfiguration, sink: CollectingSink) {
        let plugin = SystemdInputPlugin(configuration: configuration, router: sink, logger: Logger(label: "systemd-test"))
        let group = ServiceGroup(services: [plugin], logger: Logger(label: "systemd-test"))
        self.plugin = plugin
        self.group = group
        task = Task { try await group.run() }
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// Entries `MESSAGE=<prefix>-<n>` one second apart from 1_700_000_000, with extra fields.
func entries(_ prefix: String, _ range: Range<Int>, extra: (Int) -> [(String, String)] = { _ in [] }) -> [TestEntry] {
    range.map { n in
        TestEntry(realtime: 1_700_000_000_000_000 + UInt64(n) * 1_000_000 + 250, [("MESSAGE", "\(prefix)-\(n)")] + extra(n))
    }
}

func messages(_ prefix: String, _ range: Range<Int>) -> [String] { range.map { "\(prefix)-\($0)" } }
