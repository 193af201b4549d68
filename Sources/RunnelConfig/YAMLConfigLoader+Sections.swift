import Yams

/// Sections and values of the YAML form, following Fluentd's `YamlParser::Parser#section_build`.
extension YAMLConfigLoader {
    /// `$`-keys that become `@` parameters, in the order Fluentd writes them.
    static let reservedKeys = ["$type", "$label", "$id", "$log_level"]

    /// The section `name` from the mapping `node` (written under the key `keyNode`).
    /// - Parameters:
    ///   - argumentKey: the key holding the section argument (`$tag`, `$name`, `$arg`).
    ///   - joinedBy: how a list given as the argument is joined (patterns by space, chunk keys by comma).
    ///   - listKey: a key holding a nested `config:` list (labels, workers).
    func section(
        _ name: String, _ node: Node, at keyNode: Node, argumentKey: String = "$arg", joinedBy: String = ",",
        listKey: String? = nil, depth: Int = 1
    ) throws -> ConfigElement {
        let location = self.location(of: keyNode)
        guard depth <= ClassicConfigParser.maximumNesting else {
            throw error("sections are nested more than \(ClassicConfigParser.maximumNesting) deep", at: keyNode)
        }
        if case .scalar(let scalar) = node, node.tag.rawValue == Tag.Name.null.rawValue || scalar.string.isEmpty {
            return ConfigElement(name: name, location: location)
        }
        guard case .mapping(let mapping) = node else {
            throw error("expected the parameters of <\(name)> as a mapping (key: value lines)", at: node)
        }
        let pairs = try merged(mapping)
        var argument = ""
        var parameters: [ConfigParameter] = []
        var children: [ConfigElement] = []
        for reserved in Self.reservedKeys where reserved != argumentKey {
            if let pair = pairs.last(where: { $0.key.string == reserved }) {
                let key = "@" + reserved.dropFirst()
                parameters.append(ConfigParameter(key: key, value: try scalarValue(pair.value, key: key), location: self.location(of: pair.key)))
            }
        }
        for (keyNode, value) in pairs {
            guard let key = keyNode.string else { throw error("expected a parameter name", at: keyNode) }
            if Self.reservedKeys.contains(key), key != argumentKey { continue }
            if key == argumentKey {
                argument = try argumentValue(value, joinedBy: joinedBy)
            } else if key == listKey {
                children.append(contentsOf: try configList(value))
            } else if key.hasPrefix("$") {
                let known = (Self.reservedKeys + [argumentKey]).joined(separator: ", ")
                throw error("unknown key '\(key)' in <\(name)>; known $-keys here: \(known)", at: keyNode)
            } else {
                try member(key, value, at: keyNode, depth: depth, parameters: &parameters, children: &children)
            }
        }
        return ConfigElement(name: name, argument: argument, parameters: parameters, children: children, location: location)
    }

    /// One `key: value` of a section: a parameter, a nested section (mapping), or several
    /// nested sections (a list of mappings, like `store:` of copy).
    private func member(
        _ key: String, _ value: Node, at keyNode: Node, depth: Int, parameters: inout [ConfigParameter],
        children: inout [ConfigElement]
    ) throws {
        let location = self.location(of: keyNode)
        switch value {
        case .mapping where !isTagged(value, "fluent/json"):
            children.append(try section(key, value, at: keyNode, depth: depth + 1))
        case .sequence(let items) where items.first.map({ if case .mapping = $0 { true } else { false } }) == true:
            for item in items { children.append(try section(key, item, at: item, depth: depth + 1)) }
        case .mapping, .sequence:
            parameters.append(ConfigParameter(key: key, value: try json(value), location: location))
        default:
            guard case .text(let text) = try literalValue(value, key: key) else {
                // `!fluent/s "#{use_default}"`: as if the key were not written.
                parameters.removeAll { $0.key == key }
                return
            }
            let parameter = ConfigParameter(key: key, value: text, location: location)
            if let index = parameters.firstIndex(where: { $0.key == key }) {
                parameters[index] = parameter
            } else {
                parameters.append(parameter)
            }
        }
    }

    /// A section argument: a string, or a list joined (`$tag: [a.**, b.**]` is `a.** b.**`).
    private func argumentValue(_ node: Node, joinedBy separator: String) throws -> String {
        if case .sequence(let items) = node {
            return try items.map { try scalarValue($0, key: "argument") }.joined(separator: separator)
        }
        return try scalarValue(node, key: "argument")
    }

    /// A scalar as the parameter text Fluentd would see: YAML booleans as `true`/`false`,
    /// null as empty, `!fluent/s` interpolated, `!fluent/json` as JSON.
    func scalarValue(_ node: Node, key: String) throws -> String {
        switch try literalValue(node, key: key) {
        case .text(let text): return text
        case .useNil: return ""
        case .useDefault:
            throw error("use_default stands for a parameter's value; it cannot be used for '\(key)' here", at: node)
        }
    }

    /// A scalar's value, where `!fluent/s` may say `use_default` or `use_nil`. Fluentd's YAML
    /// reads `use_nil` as an empty string; Runnel reads `use_default` as the key not written.
    func literalValue(_ node: Node, key: String) throws -> ConfigLiteral {
        if isTagged(node, "fluent/s"), case .scalar(let scalar) = node {
            var scanner = ConfigScanner(text: scalar.string, file: file)
            do {
                let literal = try ConfigLiteralScanner.doubleQuoted(&scanner, context: context, quoted: false)
                return literal == .useNil ? .text("") : literal
            } catch var failure as ConfigError {
                failure.location = location(of: node)
                throw failure
            }
        }
        return .text(try plainValue(node, key: key))
    }

    private func plainValue(_ node: Node, key: String) throws -> String {
        if isTagged(node, "fluent/json") { return try json(node) }
        guard case .scalar(let scalar) = node else {
            throw error("expected a single value for '\(key)', found a \(node.mapping != nil ? "mapping" : "list")", at: node)
        }
        if isTagged(node, "include") {
            throw error("!include is only supported as an item of a 'config:' list", at: node)
        }
        guard scalar.style == .plain else { return scalar.string }
        switch node.tag.rawValue {
        // `$type: null` names the null output plugin, not a missing value.
        case Tag.Name.null.rawValue: return key == "@type" ? scalar.string : ""
        case Tag.Name.bool.rawValue:
            return ["y", "t", "on"].contains { scalar.string.lowercased().hasPrefix($0) } ? "true" : "false"
        default: return scalar.string
        }
    }

    /// A node as compact JSON text (a list of values, `!fluent/json`).
    func json(_ node: Node) throws -> String {
        switch node {
        case .mapping(let mapping):
            let members = try merged(mapping).map { pair in
                JSONLiteralScanner.quoted(pair.key.string ?? "") + ":" + (try json(pair.value))
            }
            return "{" + members.joined(separator: ",") + "}"
        case .sequence(let items):
            return "[" + (try items.map { try json($0) }).joined(separator: ",") + "]"
        case .scalar(let scalar):
            if isTagged(node, "fluent/json") {
                // `!fluent/json '{"a": 1}'`: JSON written as a string.
                var scanner = ConfigScanner(text: scalar.string, file: file)
                if scanner.peek() == "[" || scanner.peek() == "{", let text = try? JSONLiteralScanner.scan(&scanner) {
                    scanner.skipSpacing()
                    if scanner.isAtEnd { return text }
                }
            }
            guard scalar.style == .plain else { return JSONLiteralScanner.quoted(scalar.string) }
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return "null"
            case Tag.Name.bool.rawValue: return try scalarValue(node, key: "")
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                var scanner = ConfigScanner(text: "[" + scalar.string + "]", file: file)
                if let text = try? JSONLiteralScanner.scan(&scanner), scanner.isAtEnd { return String(text.dropFirst().dropLast()) }
                return JSONLiteralScanner.quoted(scalar.string)
            default: return JSONLiteralScanner.quoted(scalar.string)
            }
        case .alias:
            throw error("unexpected YAML alias", at: node)
        }
    }
}
