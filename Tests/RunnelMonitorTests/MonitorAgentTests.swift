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
