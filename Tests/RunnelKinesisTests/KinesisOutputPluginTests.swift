import AsyncHTTPClient
import Foundation
import Logging
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

/// The three Kinesis outputs as `<match>` plugins, built from their sections as the catalog
/// builds them, against the fake Kinesis endpoint.
@Suite struct KinesisOutputPluginTests {

    struct Discard: EventSink {
        func emit(_ stream: EventStream) async throws {}
    }

    static func context(_ element: ConfigElement) -> PluginContext {
        PluginContext(
            element: element, logger: testLogger(), router: Discard(), labelRouter: { _ in nil },
            makeOutput: { _ in throw TestFailure("no nested outputs") }, system: SystemConfiguration())
    }

    static func element(_ kind: KinesisOutputKind, endpoint: String, _ extra: [(String, String)] = []) -> ConfigElement {
        let parameters: [(String, String)] = [
            ("@type", kind.rawValue), (kind == .firehose ? "delivery_stream_name" : "stream_name", "logs"), ("region", "us-east-1"),
            ("endpoint", endpoint), ("aws_key_id", "AKIDEXAMPLE"), ("aws_sec_key", "secret"),
        ]
        return ConfigElement(
            name: "match", argument: "app.**",
            parameters: (parameters + extra).map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) },
            children: [ConfigElement("buffer", "", ["@type": "memory"])])
    }

    static func events(_ count: Int) -> EventStream {
        var builder = EventStreamBuilder(tag: "app.test")
        for seq in 0..<count { builder.append(time: EventTime(seconds: 1_700_000_000), record: .record(["seq": .uint(UInt64(seq))])) }
        return builder.build()
    }

    @Test(arguments: KinesisOutputKind.allCases)
    func eachKindBuffersAndDeliversWhatItIsGiven(kind: KinesisOutputKind) async throws {
        let endpoint = try await FakeKinesisEndpoint.start()
        defer { endpoint.stop() }
        let output = try KinesisOutputPlugin.make(kind: kind)(Self.context(Self.element(kind, endpoint: endpoint.url)))
        let plugin = try #require(output as? KinesisOutputPlugin)
        #expect(plugin.sender.configuration.kind == kind)
        #expect(plugin.buffered.name == kind.rawValue)
        try await plugin.emit(Self.events(20))
        await plugin.flushNow()
        let stored = endpoint.records
        if kind == .streamsAggregated {
            #expect(stored.count == 1)
            #expect(try KPLAggregator.decode(stored[0].data).records.count == 20)
        } else {
            #expect(stored.count == 20)
        }
        #expect(plugin.monitorStatus().contains { $0.key == "buffer_queue_length" })
    }

    /// `--check-outputs` asks every output that is `DestinationCheckable`; the Kinesis outputs are.
    @Test func theOutputsCanBeChecked() throws {
        let output = try KinesisOutputPlugin.make(kind: .streams)(Self.context(Self.element(.streams, endpoint: "http://127.0.0.1:9")))
        #expect(output is any DestinationCheckable)
        #expect(output is any SecondaryChunkWriting)
    }

    /// The output's HTTP client is closed when `run()` returns: a send afterwards cannot go out.
    @Test func runClosesTheHTTPClient() async throws {
        let endpoint = try await FakeKinesisEndpoint.start()
        defer { endpoint.stop() }
        let plugin = try KinesisOutputPlugin.make(Self.context(Self.element(.streams, endpoint: endpoint.url)), kind: .streams, environment: [:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await plugin.run() }
            try await plugin.emit(Self.events(3))
            plugin.buffered.stop()
            try await group.waitForAll()
        }
        // flush_at_shutdown (true for a memory buffer) sent the events before the client closed.
        #expect(endpoint.records.count == 3)
        var builder = EventStreamBuilder(tag: "app.test")
        builder.append(time: EventTime(seconds: 1_700_000_000), record: .record(["seq": .uint(99)]))
        let stream = builder.build()
        let result = await plugin.sender.send(
            ChunkToSend(id: "late", metadata: ChunkMetadata(tag: "app.test"), entries: stream.entries, count: 1, delivered: EntrySet()))
        guard case .retry(let error) = result else {
            Issue.record("expected .retry after the client closed, got \(result)")
            return
        }
        #expect(error.code == "transport")
        #expect(endpoint.records.count == 3)
    }

    /// A plugin that was built but never run (--dry-run, a failed reload) releases its client.
    @Test func anOutputThatNeverRanGoesAwayCleanly() throws {
        for kind in KinesisOutputKind.allCases {
            _ = try KinesisOutputPlugin.make(Self.context(Self.element(kind, endpoint: "http://127.0.0.1:9")), kind: kind, environment: [:])
        }
    }

    @Test func aWrongParameterFailsNamingIt() {
        let element = Self.element(.streams, endpoint: "http://127.0.0.1:9", [("retries_on_batch_request", "many")])
        #expect(throws: ConfigError.self) { try KinesisOutputPlugin.make(kind: .streams)(Self.context(element)) }
    }

    @Test func fixedPartitionKeyExcludesPartitionKeyAndMustFitKinesis() {
        for parameters in [
            [("fixed_partition_key", "a"), ("partition_key", "user")], [("fixed_partition_key", String(repeating: "k", count: 257))],
        ] {
            let element = Self.element(.streams, endpoint: "http://127.0.0.1:9", parameters)
            #expect(throws: ConfigError.self) { try KinesisOutputPlugin.make(kind: .streams)(Self.context(element)) }
        }
    }
}
