import Logging
import RunnelConfig
import RunnelCore
import Synchronization
import Testing

@testable import RunnelPipeline

/// An output that records what it receives.
final class RecordingOutput: OutputPlugin {
    let received = Mutex<[EventStream]>([])
    func emit(_ stream: EventStream) async throws { received.withLock { $0.append(stream) } }
    func run() async throws {}
    var tags: [String] { received.withLock { $0.map(\.tag) } }
    var records: [MessagePackValue] { received.withLock { $0.flatMap { (try? $0.decodedEntries().map(\.record)) ?? [] } } }
}

/// A filter that adds `key: value` to every record.
struct TaggingFilter: FilterPlugin {
    var key: String
    var value: String
    func filter(_ stream: EventStream) throws -> [EventStream] {
        var builder = EventStreamBuilder(tag: stream.tag)
        for (time, record) in try stream.decodedEntries() {
            var pairs = record.mapValue ?? []
            pairs.append(MessagePackPair(key: .string(key), value: .string(value)))
            builder.append(time: time, record: .map(pairs))
        }
        return [builder.build()]
    }
}

func stream(_ tag: String, _ count: Int = 1) -> EventStream {
    var builder = EventStreamBuilder(tag: tag)
    for index in 0..<count { builder.append(time: EventTime(seconds: 1), record: .record(["n": .uint(UInt64(index))])) }
    return builder.build()
}

let testLogger = Logger(label: "test")

@Suite struct RouterTests {
    @Test func firstMatchingMatchWins() async throws {
        let first = RecordingOutput()
        let second = RecordingOutput()
        let router = Router(
            label: nil,
            directives: [
                .match(try OrTagPattern("app.**"), first, name: "first"),
                .match(try OrTagPattern("**"), second, name: "second"),
            ], logger: testLogger)
        try await router.emit(stream("app.web"))
        try await router.emit(stream("system"))
        #expect(first.tags == ["app.web"])
        #expect(second.tags == ["system"])
    }

    @Test func filtersApplyInOrderOnlyBeforeTheMatch() async throws {
        let output = RecordingOutput()
        let router = Router(
            label: nil,
            directives: [
                .filter(try OrTagPattern("app.**"), TaggingFilter(key: "a", value: "1"), name: "f1"),
                .filter(try OrTagPattern("other"), TaggingFilter(key: "b", value: "2"), name: "f2"),
                .filter(try OrTagPattern("**"), TaggingFilter(key: "c", value: "3"), name: "f3"),
                .match(try OrTagPattern("app.**"), output, name: "out"),
                .filter(try OrTagPattern("**"), TaggingFilter(key: "late", value: "x"), name: "f4"),
            ], logger: testLogger)
        try await router.emit(stream("app.web"))
        let record = try #require(output.records.first)
        #expect(record["a"] == "1")
        #expect(record["b"] == nil)
        #expect(record["c"] == "3")
        #expect(record["late"] == nil)
    }

    @Test func unmatchedTagsAreDropped() async throws {
        let output = RecordingOutput()
        let router = Router(label: nil, directives: [.match(try OrTagPattern("app.*"), output, name: "out")], logger: testLogger)
        try await router.emit(stream("app.web.deep"))
        #expect(output.tags.isEmpty)
    }
}

@Suite struct PipelineBuilderTests {
    func registry(_ outputs: [String: RecordingOutput]) -> PluginRegistry {
        var registry = PluginRegistry()
        for (type, output) in outputs { registry.outputs[type] = { _ in output } }
        registry.filters["tagging"] = { context in
            TaggingFilter(key: context.element.string("key", default: "k"), value: context.element.string("value", default: "v"))
        }
        registry.outputs["relabel"] = { context in
            let target = try context.element.requiredString("@label")
            return RelabelForTest(sink: try #require(context.labelRouter(target)))
        }
        registry.planned["kinesis_streams"] = "not in this build"
        return registry
    }

    @Test func labelsRouteAndRelabel() async throws {
        let main = RecordingOutput()
        let labelled = RecordingOutput()
        let root = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement("match", "to.label", ["@type": "relabel", "@label": "@BACKEND"]),
                ConfigElement("match", "**", ["@type": "main"]),
                ConfigElement(
                    "label", "@BACKEND", [:],
                    children: [
                        ConfigElement("filter", "**", ["@type": "tagging", "key": "via", "value": "label"]),
                        ConfigElement("match", "**", ["@type": "labelled"]),
                    ]),
            ])
        let pipeline = try PipelineBuilder(registry: registry(["main": main, "labelled": labelled]), logger: testLogger).build(root)
        let top = try #require(pipeline.routers.router(named: RouterTable.rootName))
        try await top.emit(stream("to.label"))
        try await top.emit(stream("plain"))
        #expect(main.tags == ["plain"])
        #expect(labelled.tags == ["to.label"])
        #expect(labelled.records.first?["via"] == "label")
        #expect(pipeline.graph.contains("<label @BACKEND>"))
    }

    @Test(arguments: [
        (ConfigElement("match", "**", ["@type": "nope"]), "unknown output type 'nope'"),
        (ConfigElement("match", "**", ["@type": "kinesis_streams"]), "not yet available"),
        (ConfigElement("match", "**", [:]), "has no @type"),
        (ConfigElement("source", "", ["@type": "forward", "@label": "@MISSING"]), "no <label @MISSING>"),
        (ConfigElement("weird", "", [:]), "unknown section <weird>"),
    ])
    func configurationErrorsSayWhatIsWrong(element: ConfigElement, message: String) throws {
        var registry = registry([:])
        registry.inputs["forward"] = { _ in NoInput() }
        let root = ConfigElement(name: "ROOT", children: [element])
        let error = #expect(throws: ConfigError.self) { try PipelineBuilder(registry: registry, logger: testLogger).build(root) }
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func unusedParametersAreReported() throws {
        let output = RecordingOutput()
        let root = ConfigElement(name: "ROOT", children: [ConfigElement("match", "**", ["@type": "main", "stream_nmae": "typo"])])
        let pipeline = try PipelineBuilder(registry: registry(["main": output]), logger: testLogger).build(root)
        #expect(pipeline.unusedParameters.map(\.parameter.key) == ["stream_nmae"])
    }

    @Test func pluginIDsComeFromAtIdOrTypeAndIndex() throws {
        let output = RecordingOutput()
        let root = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement("match", "a", ["@type": "main", "@id": "mine"]),
                ConfigElement("match", "b", ["@type": "main"]),
                ConfigElement("match", "c", ["@type": "main"]),
            ])
        let pipeline = try PipelineBuilder(registry: registry(["main": output]), logger: testLogger).build(root)
        #expect(pipeline.outputs.map(\.id) == ["mine", "main.0", "main.1"])
    }
}

struct NoInput: InputPlugin {
    func run() async throws {}
}

struct RelabelForTest: OutputPlugin {
    var sink: any EventSink
    func emit(_ stream: EventStream) async throws { try await sink.emit(stream) }
    func run() async throws {}
}
