import Foundation
import Logging
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycle
import Synchronization
@testable import RunnelTail

/// Collects what the tail input emits.
final class CollectingSink: EventSink {
    let events = Mutex<[(tag: String, record: MessagePackValue)]>([])
    let times = Mutex<[EventTime]>([])
    let batches = Atomic<Int>(0)

    func emit(_ stream: EventStream) async throws {
        let entries = try stream.decodedEntries()
        batches.add(1, ordering: .relaxed)
        events.withLock { $0.append(contentsOf: entries.map { (stream.tag, $0.record) }) }
        times.withLock { $0.append(contentsOf: entries.map(\.time)) }
    }

    var count: Int { events.withLock { $0.count } }

    var messages: [String] { events.withLock { $0.compactMap { $0.record["message"]?.stringValue } } }

    /// Waits (polling, with a generous limit) until `condition` holds for the messages.
    func wait(timeout: Double = 20, until condition: ([String]) -> Bool) async throws -> [String] {
        try await polled(timeout: timeout, { messages }, until: condition)
    }
}

/// A running tail input, stopped gracefully by `stop()`.
struct RunningTail {
    let plugin: TailInputPlugin
    let group: ServiceGroup
    let task: Task<Void, any Error>

    init(_ configuration: TailInputConfiguration, sink: CollectingSink, parser: any LineParserBox = NoneBox()) {
        let plugin = TailInputPlugin(
            configuration: configuration, parser: parser.parser, router: sink,
            logger: Logger(label: "tail-test"))
        let group = ServiceGroup(services: [plugin], logger: Logger(label: "tail-test"))
        self.plugin = plugin
        self.group = group
        task = Task { try await group.run() }
    }

    /// Waits (with a generous limit) until a whole pass of the tail loop began and ended after
    /// this call: every file at the watched paths now is open and was read. No sleeping and hoping
    /// on a loaded machine: a file rotated away before the tailer saw it is lost for any tailer, and
    /// a copytruncate must be seen before the file grows past the old position.
    /// Waits until the tailer has completed two passes after now (so one began after the call).
    /// Throws when it has not: a test going on regardless would rotate files away before the
    /// tailer saw them and report a loss that is only a slow machine.
    func passCompleted(timeout: Double = 180) async throws {
        let target = plugin.completedTicks.load(ordering: .relaxed) + 2
        let deadline = Date().addingTimeInterval(timeout)
        while plugin.completedTicks.load(ordering: .relaxed) < target {
            guard Date() < deadline else { throw TestFailure("the tailer completed no pass in \(timeout) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

import RunnelParsers

protocol LineParserBox { var parser: any LineParser { get } }
struct NoneBox: LineParserBox { var parser: any LineParser { NoneParser() } }
struct ParserBox: LineParserBox { let parser: any LineParser }

func testConfiguration(_ dir: TemporaryDirectory, paths: [String], readFromHead: Bool = true) -> TailInputConfiguration {
    var c = TailInputConfiguration(paths: paths, tag: "test.*")
    c.posFile = dir.path + "/tail.pos"
    c.readFromHead = readFromHead
    c.refreshInterval = 0.1
    c.rotateWait = 0.5
    c.watchInterval = 0.05
    return c
}

/// Appends text to a file (creating it), as a logging application does.
func append(_ text: String, to path: String) throws {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
}

func lines(_ prefix: String, _ range: Range<Int>) -> [String] { range.map { "\(prefix)-\($0)" } }

func appendLines(_ prefix: String, _ range: Range<Int>, to path: String) throws {
    try append(lines(prefix, range).map { $0 + "\n" }.joined(), to: path)
}
