import Yams

/// Fluentd's YAML configuration form (https://docs.fluentd.org/configuration/config-file-yaml)
/// into the same `ConfigElement` tree as the classic syntax:
///
/// ```yaml
/// system:
///   log_level: info
/// config:
///   - source: { $type: forward, port: 24224 }
///   - match:
///       $tag: app.**
///       $type: kinesis_streams
///       buffer: { $arg: tag, flush_interval: 1s }
///   - label: { $name: "@ERRORS", config: [ ... ] }
///   - !include more.yaml
/// ```
///
/// `$type`, `$label`, `$id`, `$log_level` become `@type`, `@label`, `@id`, `@log_level`; `$tag`
/// (match, filter), `$name` (label) and `$arg` (any other section) become the section argument.
/// `!fluent/s "..."` is read like a classic double-quoted string (escapes, `#{ENV[...]}`),
/// `!fluent/json` turns its value into JSON text.
struct YAMLConfigLoader {
    static let directives: Set<String> = ["source", "match", "filter", "label", "system", "worker"]

    let file: String
    let context: ConfigParseContext

    /// The whole document as the ROOT element: `system:` first, then the `config:` list.
    func loadRoot(text: String) throws -> ConfigElement {
        let root = try compose(text)
        var system: [ConfigElement] = []
        var children: [ConfigElement] = []
        if let root {
            guard case .mapping(let mapping) = root else {
                throw error("expected a mapping with 'config:' (and optionally 'system:') at the top", at: root)
            }
            for (key, value) in try merged(mapping) {
                switch key.string {
                case "system"?: system.append(try section("system", value, at: key))
                case "config"?: children.append(contentsOf: try configList(value))
                default:
                    throw error("unknown top-level key '\(key.string ?? "?")'; expected 'config' or 'system'", at: key)
                }
            }
        }
        return ConfigElement(
            name: "ROOT", children: system + children, location: SourceLocation(file: file, line: 1))
    }

    func compose(_ text: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let yamlError as YamlError {
            throw syntaxError(yamlError)
        }
    }

    /// The directives of a `config:` list (or of a label's), with `!include` items expanded.
    func configList(_ node: Node) throws -> [ConfigElement] {
        if isTagged(node, "include") { return try included(node) }
        if case .scalar = node, node.tag.rawValue == Tag.Name.null.rawValue { return [] }
        guard case .sequence(let sequence) = node else {
            throw error("expected a list of directives ('- source:', '- match:', ...)", at: node)
        }
        var elements: [ConfigElement] = []
        for item in sequence {
            if isTagged(item, "include") {
                elements.append(contentsOf: try included(item))
                continue
            }
            guard case .mapping(let mapping) = item else {
                throw error("expected a directive such as '- source:' or '- match:' in the list", at: item)
            }
            for (key, value) in try merged(mapping) {
                elements.append(try directive(key, value))
            }
        }
        return elements
    }

    private func directive(_ key: Node, _ value: Node) throws -> ConfigElement {
        guard let name = key.string, Self.directives.contains(name) else {
            throw error(
                "unknown directive '\(key.string ?? "?")'; expected source, match, filter, label, system or worker",
                at: key)
        }
        switch name {
        case "match", "filter":
            return try section(name, value, at: key, argumentKey: "$tag", joinedBy: " ")
        case "label":
            let argumentKey = mappingHasKey(value, "$name") ? "$name" : "$label"
            return try section(name, value, at: key, argumentKey: argumentKey, listKey: "config")
        case "worker":
            return try section(name, value, at: key, argumentKey: "$arg", listKey: "config")
        default:
            return try section(name, value, at: key)
        }
    }

    /// The files an `!include` names, each a list of directives.
    private func included(_ node: Node) throws -> [ConfigElement] {
        let location = self.location(of: node)
        let pattern = node.string ?? ""
        let directory = ConfigIncludeResolver.directory(of: file)
        var elements: [ConfigElement] = []
        for includedFile in try ConfigIncludeResolver.files(matching: pattern, relativeTo: directory, at: location) {
            let nested = try context.entering(includedFile.canonicalPath, from: location)
            let loader = YAMLConfigLoader(file: includedFile.path, context: nested)
            guard let root = try loader.compose(includedFile.text) else { continue }
            elements.append(contentsOf: try loader.configList(root))
        }
        return elements
    }

    // MARK: Helpers shared with the section builder

    func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func error(_ message: String, at node: Node, kind: ConfigError.Kind = .structure) -> ConfigError {
        ConfigError(kind, at: location(of: node), message)
    }

    func isTagged(_ node: Node, _ name: String) -> Bool {
        let tag = node.tag.rawValue
        return tag == "!" + name || tag == "tag:" + name || tag == "tag:yaml.org,2002:" + name
    }

    func mappingHasKey(_ node: Node, _ key: String) -> Bool {
        guard case .mapping(let mapping) = node else { return false }
        return mapping.contains { $0.key.string == key }
    }

    /// The pairs of a mapping with YAML merge keys (`<<: *defaults`) applied; keys written
    /// in the mapping win over merged ones.
    func merged(_ mapping: Node.Mapping) throws -> [(key: Node, value: Node)] {
        var pairs: [(key: Node, value: Node)] = []
        var merges: [Node] = []
        for (key, value) in mapping {
            if key.string == "<<" {
                if case .sequence(let sources) = value { merges.append(contentsOf: sources) } else { merges.append(value) }
            } else {
                pairs.append((key, value))
            }
        }
        for source in merges {
            guard case .mapping(let extra) = source else {
                throw error("'<<' merges only mappings", at: source)
            }
            for (key, value) in try merged(extra) where !pairs.contains(where: { $0.key.string == key.string }) {
                pairs.append((key, value))
            }
        }
        return pairs
    }

    private func syntaxError(_ yamlError: YamlError) -> ConfigError {
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail =
                context.map {
                    "\(problem) (\($0.text) at line \($0.mark.line), column \($0.mark.column))"
                } ?? problem
            return ConfigError(
                .syntax, at: SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(detail)")
        default:
            return ConfigError(.syntax, at: SourceLocation(file: file, line: 1), "invalid YAML: \(yamlError)")
        }
    }
}
