import Foundation
import Logging
import RunnelConfig
import RunnelKinesis
import RunnelPipeline
import Testing

@testable import RunnelApp
@testable import RunnelBuffer

/// Plugins are named by one id, `@id` or Fluentd's `TYPE.N`, and two outputs cannot share a buffer.
@Suite struct PluginIdentityTests {
    func build(_ children: [ConfigElement]) throws -> Pipeline {
        try PipelineBuilder(registry: PluginCatalog.registry(), logger: Logger(label: "test")).build(ConfigElement(name: "ROOT", children: children))
    }

    func kinesis(_ parameters: KeyValuePairs<String, String>, buffer: KeyValuePairs<String, String>) -> ConfigElement {
        var all: [(String, String)] = [("@type", "kinesis_streams"), ("stream_name", "s"), ("region", "us-east-1")]
        all += parameters.map { ($0.key, $0.value) }
        return ConfigElement(
            name: "match", argument: "**",
            parameters: all.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) },
            children: [ConfigElement("buffer", "", buffer)])
    }

    /// Fluentd's buf_file refuses a path another plugin uses ("Other 'X' plugin already use same buffer path").
    @Test func twoOutputsSharingABufferPathIsAnErrorNamingBoth() throws {
        let error = try #require(throws: ConfigError.self) {
            try build([
                kinesis(["@id": "first"], buffer: ["@type": "file", "path": "/tmp/runnel-shared-buffer"]),
                kinesis(["@id": "second"], buffer: ["@type": "file", "path": "/tmp/runnel-shared-buffer/"]),
            ])
        }
        #expect(error.message.contains("'second'") && error.message.contains("'first'"), "\(error)")
        #expect(error.message.contains("/tmp/runnel-shared-buffer"))
    }

    /// Without @id an output is `TYPE.N` in its buffer, its metrics and monitor_agent alike.
    @Test func outputsWithoutIDAreNamedTypeDotN() throws {
        let pipeline = try build([
            kinesis([:], buffer: ["@type": "memory"]),
            kinesis([:], buffer: ["@type": "memory"]),
        ])
        #expect(pipeline.outputs.map(\.id) == ["kinesis_streams.0", "kinesis_streams.1"])
        let names = pipeline.outputs.compactMap { ($0.plugin as? KinesisOutputPlugin)?.buffered.name }
        #expect(names == ["kinesis_streams.0", "kinesis_streams.1"])
    }
}
