import Logging
import RunnelConfig
import RunnelCore
import Synchronization

/// Builds a `Pipeline` from a configuration tree and a plugin registry.
///
/// Validates once, at start-up: unknown sections and plugin types, missing `@type`, labels that
/// are referenced but never defined, and (through each plugin's configuration) every parameter's
/// value. Errors name the file and line.
public struct PipelineBuilder: Sendable {
    public var registry: PluginRegistry
    public var logger: Logger

    public init(registry: PluginRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Builds every plugin it can, and throws every error it found (a `ConfigErrors` when
    /// more than one), so that one `--dry-run` lists all of them.
    public func build(_ written: ConfigElement) throws -> Pipeline {
        var state = BuildState()
        var system = SystemConfiguration()
        state.attempt(written.element(named: "system") ?? written) { _ in system = try SystemConfiguration(written.element(named: "system")) }
        var root = written
        state.attempt(written) { _ in root = try written.flatteningWorkerSections(workers: system.workers) }
        if root === written, written.element(named: "worker") != nil {
            // The <worker> sections are wrong (reported above); check the rest.
            root = ConfigElement(
                name: written.name, parameters: written.parameters, children: written.children.filter { $0.name != "worker" },
                location: written.location, unsetParameters: written.unsetParameters)
        }
        let table = RouterTable()
        let labelNames = definedLabels(root, state: &state)

        for element in root.children {
            switch element.name {
            case "source", "match", "filter", "label", "system": continue
            default:
                state.errors.append(
                    ConfigError(
                        .structure, at: element.location,
                        "unknown section <\(element.name)>; expected <source>, <match>, <filter>, <label>, <system> or <worker>"))
            }
        }

        // Sources first: each sends to its @label's router, or the top-level one.
        var graph: [String] = []
        if system.workers > 1 {
            graph.append(
                "<system> workers \(system.workers): Runnel runs one worker process; top-level sections run once, and the sections of every <worker> run in it")
        }
        for element in root.elements(named: "source") {
            state.attempt(element) { state in
                let type = try requireType(element, kind: "input")
                let target: String
                if let label = element.rawValue("@label") {
                    guard labelNames.contains(label) || label == RouterTable.rootName else {
                        throw ConfigError(
                            .structure, at: element.parameter("@label")?.location ?? element.location,
                            "<source> sends to label \(label), which no <label \(label)> section defines")
                    }
                    target = label
                } else {
                    target = RouterTable.rootName
                }
                guard let factory = registry.inputs[type] else { throw unknownType(type, kind: "input", element: element, known: registry.inputs.keys) }
                let id = state.pluginID(element, type: type)
                let metrics = system.enableInputMetrics ? InputEmitMetrics(countsSize: system.enableSizeMetrics) : nil
                var router: any EventSink = LabelSink(name: target, table: table)
                if let metrics { router = CountingSink(next: router, metrics: metrics) }
                let context = makeContext(element, id: id, router: router, table: table, labels: labelNames, system: system, state: &state)
                let plugin = try factory(context)
                state.inputs.append(.init(id: id, type: type, plugin: plugin, element: element, emitMetrics: metrics))
                graph.append("<source> \(type) (\(id)) -> \(target == RouterTable.rootName ? "top level" : "label " + target)")
            }
        }

        let top = buildRouter(label: nil, section: root, table: table, labels: labelNames, system: system, state: &state, graph: &graph)
        table.register(top, as: RouterTable.rootName)
        for element in root.elements(named: "label") where labelNames.contains(element.argument) {
            let router = buildRouter(label: element.argument, section: element, table: table, labels: labelNames, system: system, state: &state, graph: &graph)
            table.register(router, as: element.argument)
        }
        if let error = ConfigErrors.combining(state.errors) { throw error }

        return Pipeline(
            root: root, system: system, inputs: state.inputs, outputs: state.outputs, filters: state.filters, routers: table,
            unusedParameters: Self.unusedParameters(root), graph: graph.joined(separator: "\n"))
    }

    struct BuildState {
        var inputs: [Pipeline.Plugin<any InputPlugin>] = []
        var outputs: [Pipeline.Plugin<any OutputPlugin>] = []
        var filters: [Pipeline.Plugin<any FilterPlugin>] = []
        var counts: [String: Int] = [:]
        var ids: Set<String> = []
        /// Buffer directories taken so far.
        var claims = PathClaims()
        /// Every error found so far; building goes on after one.
        var errors: [ConfigError] = []

        mutating func pluginID(_ element: ConfigElement, type: String) -> String {
            if let id = element.rawValue("@id") { return id }
            let index = counts[type, default: 0]
            counts[type] = index + 1
            return "\(type).\(index)"
        }

        /// Runs one step of the build, keeping its errors; an error that is not a
        /// configuration error (a plugin's own) is told with the section it came from.
        mutating func attempt(_ element: ConfigElement, _ step: (inout BuildState) throws -> Void) {
            do {
                try step(&self)
            } catch {
                if let list = ConfigErrors.list(error) {
                    errors.append(contentsOf: list)
                } else {
                    errors.append(ConfigError(.invalidValue, at: element.location, "\(element.title): \(error)"))
                }
            }
        }
    }

    func buildRouter(
        label: String?, section: ConfigElement, table: RouterTable, labels: Set<String>, system: SystemConfiguration,
        state: inout BuildState, graph: inout [String]
    ) -> Router {
        var directives: [Router.Directive] = []
        graph.append(label.map { "<label \($0)>" } ?? "top level:")
        for element in section.children where element.name == "filter" || element.name == "match" {
            state.attempt(element) { state in
                let pattern: OrTagPattern
                do { pattern = try OrTagPattern(element.argument) } catch let error as TagPatternError {
                    throw ConfigError(.invalidValue, at: element.location, "\(element.title): \(error)")
                }
                if element.name == "filter" {
                    let type = try requireType(element, kind: "filter")
                    guard let factory = registry.filters[type] else { throw unknownType(type, kind: "filter", element: element, known: registry.filters.keys) }
                    let id = state.pluginID(element, type: type)
                    let context = makeContext(
                        element, id: id, router: LabelSink(name: label ?? RouterTable.rootName, table: table), table: table, labels: labels, system: system,
                        state: &state)
                    let filter = try factory(context)
                    state.filters.append(.init(id: id, type: type, plugin: filter, element: element))
                    directives.append(.filter(pattern, filter, name: id))
                    graph.append("  <filter \(pattern)> \(type) (\(id))")
                } else {
                    let output = try makeOutput(element, label: label, table: table, labels: labels, system: system, state: &state)
                    state.outputs.append(output)
                    directives.append(.match(pattern, output.plugin, name: output.id))
                    graph.append("  <match \(pattern)> \(output.type) (\(output.id))")
                }
            }
        }
        if let label {
            for element in section.children where element.name != "filter" && element.name != "match" {
                state.errors.append(
                    ConfigError(.structure, at: element.location, "<\(element.name)> is not allowed inside <label \(label)>; only <filter> and <match> are"))
            }
        }
        return Router(label: label, directives: directives, logger: logger)
    }

    func makeOutput(
        _ element: ConfigElement, label: String?, table: RouterTable, labels: Set<String>, system: SystemConfiguration,
        state: inout BuildState
    ) throws -> Pipeline.Plugin<any OutputPlugin> {
        let type = try requireType(element, kind: "output")
        guard let factory = registry.outputs[type] else { throw unknownType(type, kind: "output", element: element, known: registry.outputs.keys) }
        let id = state.pluginID(element, type: type)
        let context = makeContext(
            element, id: id, router: LabelSink(name: label ?? RouterTable.rootName, table: table), table: table, labels: labels, system: system, state: &state)
        return .init(id: id, type: type, plugin: try factory(context), element: element)
    }

    func makeContext(
        _ element: ConfigElement, id: String, router: any EventSink, table: RouterTable, labels: Set<String>,
        system: SystemConfiguration, state: inout BuildState
    ) -> PluginContext {
        var pluginLogger = logger
        pluginLogger[metadataKey: "plugin.id"] = "\(id)"
        if let level = element.rawValue("@log_level").flatMap(Logger.Level.init(fluentdName:)) { pluginLogger.logLevel = level }
        let builder = self
        let nested = Mutex(state.counts)
        let claims = state.claims
        return PluginContext(
            element: element, logger: pluginLogger, router: router,
            labelRouter: { name in
                (labels.contains(name) || name == RouterTable.rootName) ? LabelSink(name: name, table: table) : nil
            },
            makeOutput: { store in
                // Stores of a `copy` are built like outputs of the same label.
                var inner = BuildState()
                inner.claims = claims
                inner.counts = nested.withLock { $0 }
                let output = try builder.makeOutput(store, label: nil, table: table, labels: labels, system: system, state: &inner)
                nested.withLock { $0 = inner.counts }
                return output.plugin
            },
            system: system, id: id, claims: state.claims)
    }

    func requireType(_ element: ConfigElement, kind: String) throws -> String {
        guard let type = element.pluginType, !type.isEmpty else {
            throw ConfigError(.structure, at: element.location, "\(element.title) has no @type; every \(kind) needs one")
        }
        return type
    }

    func unknownType(_ type: String, kind: String, element: ConfigElement, known: some Sequence<String>) -> ConfigError {
        let location = element.parameter("@type")?.location ?? element.parameter("type")?.location ?? element.location
        if let reason = registry.planned[type] {
            return ConfigError(.unknownPluginType, at: location, "\(element.title): \(kind) type '\(type)' is not yet available in Runnel: \(reason)")
        }
        return ConfigError(
            .unknownPluginType, at: location, "\(element.title): unknown \(kind) type '\(type)'; Runnel has: \(known.sorted().joined(separator: ", "))")
    }

    /// The names of the `<label>` sections; a bad or repeated name is an error (and left out).
    func definedLabels(_ root: ConfigElement, state: inout BuildState) -> Set<String> {
        var names: Set<String> = []
        for element in root.elements(named: "label") {
            guard element.argument.hasPrefix("@") else {
                state.errors.append(ConfigError(.structure, at: element.location, "label name '\(element.argument)' must start with '@'"))
                continue
            }
            guard names.insert(element.argument).inserted else {
                state.errors.append(ConfigError(.structure, at: element.location, "<label \(element.argument)> is defined twice"))
                continue
            }
        }
        return names
    }

    /// Parameters nobody read, in every section of the tree.
    static func unusedParameters(_ element: ConfigElement) -> [(element: ConfigElement, parameter: ConfigParameter)] {
        var result = element.name == "ROOT" ? [] : element.unusedParameters.map { (element, $0) }
        for child in element.children { result.append(contentsOf: unusedParameters(child)) }
        return result
    }
}

extension SystemConfiguration {
    /// Reads `<system>`: `root_dir`, `log_level`, `<log>` `format`/`time_format`, `workers`
    /// (Runnel runs one worker), `rpc_endpoint`, `enable_get_dump`, `process_name`,
    /// `file_permission`, `dir_permission`.
    public init(_ element: ConfigElement?) throws {
        self.init()
        guard let element else { return }
        rootDirectory = element.string("root_dir")
        if let level = element.string("log_level") {
            guard let parsed = Logger.Level(fluentdName: level) else {
                throw element.invalid("log_level", level, expected: "one of trace, debug, info, warn, error, fatal")
            }
            logLevel = parsed
        }
        if let log = element.element(named: "log") {
            logFormat = try log.enumeration("format", default: LogFormat.text)
            logTimeFormat = log.string("time_format")
        }
        workers = try element.integer("workers", default: 1)
        guard workers >= 1 else { throw element.rejected("workers", "must be at least 1") }
        if let endpoint = element.string("rpc_endpoint") {
            guard Self.splitEndpoint(endpoint) != nil else {
                throw element.invalid("rpc_endpoint", endpoint, expected: "HOST:PORT with a port from 0 to 65535")
            }
            rpcEndpoint = endpoint
        }
        enableGetDump = try element.bool("enable_get_dump", default: false)
        processName = element.string("process_name")
        filePermission = try element.permission("file_permission", default: filePermission)
        dirPermission = try element.permission("dir_permission", default: dirPermission)
        enableInputMetrics = try element.bool("enable_input_metrics", default: false)
        enableSizeMetrics = try element.bool("enable_size_metrics", default: false)
        for key in [
            "suppress_repeated_stacktrace", "emit_error_log_interval", "ignore_repeated_log_interval", "suppress_config_dump", "without_source",
            "log_event_verbose",
        ] {
            element.markUsed(key)
        }
    }
}

extension SystemConfiguration {
    /// `HOST:PORT` (Fluentd splits `rpc_endpoint` at the colon; `[::1]:24444` is read too).
    public static func splitEndpoint(_ endpoint: String) -> (host: String, port: Int)? {
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(endpoint[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

extension Logger.Level {
    /// Fluentd's level names (`warn`, `fatal`) as well as swift-log's.
    public init?(fluentdName: String) {
        switch fluentdName.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warn", "warning": self = .warning
        case "error": self = .error
        case "fatal", "critical": self = .critical
        default: return nil
        }
    }
}
