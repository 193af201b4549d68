import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import Synchronization

@testable import RunnelFilters

/// `@type capture`: keeps what it receives, by its `name` parameter.
final class CaptureOutput: OutputPlugin {
    let received = Mutex<[EventStream]>([])
    func emit(_ stream: EventStream) async throws { received.withLock { $0.append(stream) } }
    func run() async throws {}

    var events: [(tag: String, time: EventTime, record: MessagePackValue)] {
        received.withLock { streams in
            streams.flatMap { stream in (try? stream.decodedEntries())?.map { (stream.tag, $0.time, $0.record) } ?? [] }
        }
    }
    var records: [MessagePackValue] { events.map(\.record) }
    var tags: [String] { events.map(\.tag) }
}

/// A pipeline built from configuration text with this target's plugins, Fluentd's standard
/// ones, and `capture` outputs.
struct Harness {
    let pipeline: Pipeline
    let captures: [String: CaptureOutput]

    init(_ text: String, captureNames: [String] = ["out"]) throws {
        var captures: [String: CaptureOutput] = [:]
        for name in captureNames { captures[name] = CaptureOutput() }
        var registry = PluginRegistry()
        StandardPlugins.register(into: &registry)
        FilterPlugins.register(into: &registry)
        let shared = captures
        registry.outputs["capture"] = { context in
            let name = context.element.string("name", default: "out")
            guard let capture = shared[name] else { throw ConfigError(.invalidValue, at: context.element.location, "no capture \(name)") }
            return capture
        }
        let root = try ConfigParser.parse(text: text, file: "test.conf", environment: [:])
        pipeline = try PipelineBuilder(registry: registry, logger: Logger(label: "test")).build(root)
        self.captures = captures
    }

    var out: CaptureOutput { captures["out"]! }

    func emit(_ tag: String, _ records: [MessagePackValue], time: EventTime = EventTime(seconds: 1_700_000_000)) async throws {
        try await pipeline.routers.router(named: RouterTable.rootName)!.emit(stream(tag: tag, records, time: time))
    }
}

func stream(tag: String, _ records: [MessagePackValue], time: EventTime = EventTime(seconds: 1_700_000_000)) -> EventStream {
    var builder = EventStreamBuilder(tag: tag)
    for record in records { builder.append(time: time, record: record) }
    return builder.build()
}

func records(_ streams: [EventStream]) throws -> [MessagePackValue] {
    try streams.flatMap { try $0.decodedEntries().map(\.record) }
}

/// The configuration error building `text` gives.
func configError(_ text: String) -> String {
    do {
        _ = try Harness(text)
        return "no error"
    } catch {
        return "\(error)"
    }
}
