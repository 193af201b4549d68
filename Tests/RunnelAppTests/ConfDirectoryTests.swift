import Foundation
import Logging
import RunnelConfig
import RunnelPipeline
import Testing

@testable import RunnelApp

/// Every configuration in conf.d/ (and conf.d/bench/) loads and builds with the plugins this
/// build has, with no parameter left unused: the examples cannot rot.
@Suite struct ConfDirectoryTests {
    static let files: [String] = {
        let directory = Paths.packageRoot.appendingPathComponent("conf.d")
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        var files: [String] = []
        while let name = enumerator?.nextObject() as? String {
            if name.hasSuffix(".conf") || name.hasSuffix(".yaml") { files.append("conf.d/" + name) }
        }
        return files.sorted()
    }()

    @Test func thereAreExamples() {
        #expect(Self.files.count >= 5)
    }

    @Test(arguments: files)
    func exampleBuilds(file: String) throws {
        let path = Paths.packageRoot.appendingPathComponent(file).path
        let root = try ConfigLoader.load(path: path, environment: ["HOME": "/root"])
        let pipeline = try PipelineBuilder(registry: PluginCatalog.registry(), logger: Logger(label: "test")).build(root)
        #expect(!pipeline.graph.isEmpty)
        let unused = pipeline.unusedParameters.map { "\($0.parameter.location) \($0.parameter.key)" }
        #expect(unused.isEmpty, "unused parameters: \(unused)")
    }

    @Test func yamlAndClassicDefaultsBuildTheSameGraph() throws {
        let classic = try ConfigLoader.load(path: Paths.packageRoot.appendingPathComponent("conf.d/runnel.conf").path, environment: [:])
        let yaml = try ConfigLoader.load(path: Paths.packageRoot.appendingPathComponent("conf.d/runnel.yaml").path, environment: [:])
        let registry = PluginCatalog.registry()
        let logger = Logger(label: "test")
        #expect(
            try PipelineBuilder(registry: registry, logger: logger).build(classic).graph
                == PipelineBuilder(registry: registry, logger: logger).build(yaml).graph)
    }
}

/// Plugins that hold events (concat, detect_exceptions) start after the other outputs and before
/// the inputs, so that the group, stopping in reverse, stops them between the two.
@Suite struct HoldingPluginOrderTests {
    @Test func holdingPluginsStopAfterInputsAndBeforeOutputs() throws {
        let root = try ConfigLoader.load(path: Paths.packageRoot.appendingPathComponent("conf.d/kubernetes-filters.conf").path, environment: [:])
        let pipeline = try PipelineBuilder(registry: PluginCatalog.registry(), logger: Logger(label: "test")).build(root)
        // rewrite_tag_filter, null and the timeout label's stdout; detect_exceptions, then concat; tail.
        let kinds = RunnelRuntime.services(pipeline).map { service -> String in
            if service is any InputPlugin { return "input" }
            return service is any HoldingPlugin ? "holding" : "output"
        }
        #expect(kinds == ["output", "output", "output", "holding", "holding", "input"], "\(kinds)")
    }
}
