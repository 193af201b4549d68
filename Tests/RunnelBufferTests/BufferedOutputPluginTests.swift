import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import Synchronization
import Testing

@testable import RunnelBuffer

/// The plugin every buffered output is: a sender behind the buffer its `<match>` section
/// describes, with a resource closed when it stops.
@Suite struct BufferedOutputPluginTests {
    struct Discard: EventSink {
        func emit(_ stream: EventStream) async throws {}
    }

    struct NoNestedOutputs: Error {}

    /// A sender whose destination can be checked.
    struct CheckedSender: ChunkSender, DestinationCheckable {
        let inner: ScriptedSender
        func send(_ chunk: ChunkToSend) async -> DeliveryResult { await inner.send(chunk) }
        func checkDestination() async throws -> String { "reachable" }
    }

    /// Counts how the resource was closed.
    final class Closes: Sendable {
        let counts = Mutex((waited: 0, unwaited: 0))
        var resource: OutputResource {
            OutputResource(
                close: { self.counts.withLock { $0.waited += 1 } }, closeWithoutWaiting: { self.counts.withLock { $0.unwaited += 1 } })
        }
        var waited: Int { counts.withLock { $0.waited } }
        var unwaited: Int { counts.withLock { $0.unwaited } }
    }

    static func context(_ buffer: KeyValuePairs<String, String> = ["@type": "memory"]) -> PluginContext {
        let element = ConfigElement("match", "**", ["@type": "scripted"], children: [ConfigElement("buffer", "tag", buffer)])
        return PluginContext(
            element: element, logger: Logger(label: "test"), router: Discard(), labelRouter: { _ in nil },
            makeOutput: { _ in throw NoNestedOutputs() }, system: SystemConfiguration())
    }

    @Test func itBuffersThenSendsWhatItIsGiven() async throws {
        let sender = ScriptedSender()
        let plugin = try BufferedOutputPlugin(Self.context(), sender: sender)
        #expect(plugin.buffered.configuration.chunkKeys.tag)
        #expect(plugin.buffered.name == "scripted")
        try await plugin.emit(makeStream(seqs: 0..<5))
        #expect(sender.accepted.withLock { $0 }.isEmpty)
        #expect(plugin.monitorStatus().first { $0.key == "emit_records" }?.value == .uint(5))
        await plugin.flushNow()
        #expect(sender.accepted.withLock { $0 } == Array(0..<5))
        #expect(plugin.secondarySender is ScriptedSender)
    }

    /// `--check-outputs` checks an output exactly when its sender can check its destination.
    @Test func itIsCheckableWhenItsSenderIs() async throws {
        let plain: any OutputPlugin = try BufferedOutputPlugin(Self.context(), sender: ScriptedSender())
        #expect(!(plain is any DestinationCheckable))
        let checked: any OutputPlugin = try BufferedOutputPlugin(Self.context(), sender: CheckedSender(inner: ScriptedSender()))
        let checkable = try #require(checked as? any DestinationCheckable)
        #expect(try await checkable.checkDestination() == "reachable")
    }

    @Test func runFlushesAtShutdownThenClosesTheResourceOnce() async throws {
        let sender = ScriptedSender()
        let closes = Closes()
        do {
            let plugin = try BufferedOutputPlugin(Self.context(), sender: sender, resource: closes.resource)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await plugin.run() }
                try await plugin.emit(makeStream(seqs: 0..<3))
                plugin.buffered.stop()
                try await group.waitForAll()
            }
            #expect(sender.accepted.withLock { $0 } == [0, 1, 2])
            #expect(closes.waited == 1)
        }
        // Going away after it ran only finds the resource closed.
        #expect(closes.unwaited == 1)
    }

    @Test func anOutputThatNeverRanReleasesItsResourceWhenItGoesAway() throws {
        let closes = Closes()
        do { _ = try BufferedOutputPlugin(Self.context(), sender: ScriptedSender(), resource: closes.resource) }
        #expect(closes.waited == 0)
        #expect(closes.unwaited == 1)
    }

    @Test func aWrongBufferParameterIsAConfigurationError() {
        #expect(throws: ConfigError.self) {
            try BufferedOutputPlugin(Self.context(["@type": "memory", "chunk_limit_size": "lots"]), sender: ScriptedSender())
        }
    }
}
