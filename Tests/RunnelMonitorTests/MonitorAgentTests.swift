import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Logging
import Prometheus
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import RunnelMonitor

@Suite struct MonitorAgentTests {
    struct Discard: OutputPlugin {
        func emit(_ stream: EventStream) async throws {}
        func run() async throws {}
    }

    @Test func pluginsJSONListsPluginsWithSecretsMasked() async throws {
        let monitoring = Monitoring()
        var registry = Self.registry(monitoring)
        registry.outputs["discard"] = { _ in Discard() }
        let root = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement("source", "", ["@type": "monitor_agent", "bind": "127.0.0.1", "port": "0", "@id": "monitor", "include_config": "true"]),
                ConfigElement("match", "**", ["@type": "discard", "@id": "out", "aws_sec_key": "SECRET-VALUE-123", "region": "eu-west-1"]),
            ])
        let pipeline = try PipelineBuilder(registry: registry, logger: Logger(label: "test")).build(root)
        monitoring.publish(pipeline)
        let monitor = try #require(pipeline.inputs.first?.plugin as? MonitorAgentInput)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await monitor.run() }
            let port = try await waitForPort(monitor)
            let json = try await httpGet(port: port, path: "/api/plugins.json")
            #expect(json.contains("\"plugin_id\":\"monitor\""))
            #expect(json.contains("\"plugin_category\":\"output\""))
            #expect(json.contains("\"region\":\"eu-west-1\""))
            #expect(json.contains("xxxxxx"))
            #expect(!json.contains("SECRET-VALUE-123"))
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            #expect((parsed?["plugins"] as? [Any])?.count == 2)
            #expect(try await httpGet(port: port, path: "/healthz") == "ok\n")
            monitoring.prometheus.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "runnel", metricName: "test_events", unitName: "total", helpText: "Test events.")
            ).increment(by: Int64(3))
            #expect(try await httpGet(port: port, path: "/metrics").contains("runnel_test_events_total 3"))
            group.cancelAll()
        }
    }

    /// include_config defaults to false since Fluentd v1.19.3 (lib/fluent/plugin/in_monitor_agent.rb,
    /// `config_param :include_config, :bool, default: false`; true before), include_retry to false.
    @Test func configAndRetryAreLeftOutByDefault() async throws {
        let monitoring = Monitoring()
        var registry = Self.registry(monitoring)
        registry.outputs["discard"] = { _ in Discard() }
        let root = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement("source", "", ["@type": "monitor_agent", "bind": "127.0.0.1", "port": "0", "@id": "monitor"]),
                ConfigElement("match", "**", ["@type": "discard", "@id": "out", "region": "eu-west-1"]),
            ])
        let pipeline = try PipelineBuilder(registry: registry, logger: Logger(label: "test")).build(root)
        monitoring.publish(pipeline)
        let monitor = try #require(pipeline.inputs.first?.plugin as? MonitorAgentInput)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await monitor.run() }
            let port = try await waitForPort(monitor)
            let json = try await httpGet(port: port, path: "/api/plugins.json")
            let plugins = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["plugins"] as? [[String: Any]]
            #expect(plugins?.count == 2)
            #expect(plugins?.allSatisfy { $0["config"] == nil && $0["retry"] == nil } == true, "\(json)")
            #expect(!json.contains("eu-west-1"))
            group.cancelAll()
        }
    }

    /// The standard plugins and the monitoring inputs, as RunnelApp's catalog has them.
    /// An input that emits `streams` once through its router, then waits.
    struct Emitter: InputPlugin {
        final class Done: Sendable {
            let flag = Mutex(false)
        }
        let router: any EventSink
        let streams: [EventStream]
        let done = Done()
        func run() async throws {
            for stream in streams { try await router.emit(stream) }
            done.flag.withLock { $0 = true }
        }
    }

    /// `<system> enable_input_metrics` and `enable_size_metrics`: an input's entry in
    /// /api/plugins.json gains `emit_records` and `emit_size` (the MessagePack bytes emitted), as
    /// Fluentd's monitor_agent shows them; without them it has neither.
    @Test(arguments: [(false, false), (true, false), (true, true)])
    func inputMetricsFollowTheSystemSettings(input: Bool, size: Bool) async throws {
        let monitoring = Monitoring()
        var registry = Self.registry(monitoring)
        registry.outputs["discard"] = { _ in Discard() }
        var writer = MessagePackWriter()
        for index in 0..<3 {
            writer.writeArrayHeader(count: 2)
            writer.write(MessagePackValue.uint(UInt64(1_700_000_000 + index)))
            writer.write(MessagePackValue.record(["n": .uint(UInt64(index))]))
        }
        let stream = EventStream(tag: "app", entries: writer.bytes, count: 3)
        registry.inputs["emitter"] = { context in Emitter(router: context.router, streams: [stream, stream]) }
        var system: KeyValuePairs<String, String> = [:]
        if input && size {
            system = ["enable_input_metrics": "true", "enable_size_metrics": "true"]
        } else if input {
            system = ["enable_input_metrics": "true"]
        }
        let root = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement("system", "", system),
                ConfigElement("source", "", ["@type": "monitor_agent", "bind": "127.0.0.1", "port": "0", "@id": "monitor"]),
                ConfigElement("source", "", ["@type": "emitter", "@id": "in_app"]),
                ConfigElement("match", "**", ["@type": "discard", "@id": "out"]),
            ])
        let pipeline = try PipelineBuilder(registry: registry, logger: Logger(label: "test")).build(root)
        monitoring.publish(pipeline)
        let monitor = try #require(pipeline.inputs.first?.plugin as? MonitorAgentInput)
        let app = try #require(pipeline.inputs.last?.plugin as? Emitter)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await monitor.run() }
            try await app.run()
            #expect(app.done.flag.withLock { $0 })
            let port = try await waitForPort(monitor)
            let json = try await httpGet(port: port, path: "/api/plugins.json")
            let plugins = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["plugins"] as? [[String: Any]]
            let entry = try #require(plugins?.first { $0["plugin_id"] as? String == "in_app" }, "\(json)")
            #expect(entry["emit_records"] as? Int == (input ? 6 : nil), "\(json)")
            #expect(entry["emit_size"] as? Int == (input && size ? 2 * writer.bytes.count : nil), "\(json)")
            group.cancelAll()
        }
    }

    static func registry(_ monitoring: Monitoring) -> PluginRegistry {
        var registry = PluginRegistry()
        StandardPlugins.register(into: &registry)
        monitoring.register(into: &registry)
        return registry
    }

    func waitForPort(_ monitor: MonitorAgentInput) async throws -> Int {
        for _ in 0..<200 {
            if let port = monitor.boundPort { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }

    /// An HTTP GET, returning the body.
    func httpGet(port: Int, path: String) async throws -> String {
        let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }
}
