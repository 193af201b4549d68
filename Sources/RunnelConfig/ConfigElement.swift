import Synchronization

/// One section of a Fluentd configuration: `<source>`, `<match app.**>`, `<buffer tag,time>`, or
/// the root. Classic and YAML syntax both load into this tree.
///
/// Parameters keep their order and the place they were written. Reading a parameter marks it
/// used, so that after every plugin has read its section the parameters nobody read can be
/// reported by name (Fluentd's "parameter 'x' is not used" warning).
public final class ConfigElement: Sendable, CustomStringConvertible {
    /// The section name (`source`, `match`, `buffer`, ...); `ROOT` for the top.
    public let name: String
    /// The text after the name in the opening tag (`app.**`, `tag,time`, `@mylabel`); empty if none.
    public let argument: String
    public let parameters: [ConfigParameter]
    public let children: [ConfigElement]
    public let location: SourceLocation
    /// Parameters written with a value of `"#{use_default}"` or `"#{use_nil}"`: left out of
    /// `parameters` (they read as not written), kept to explain a "required" error.
    public let unsetParameters: [ConfigUnsetParameter]
    private let used: Mutex<Set<String>>

    public init(
        name: String, argument: String = "", parameters: [ConfigParameter] = [], children: [ConfigElement] = [],
        location: SourceLocation = .synthesized, unsetParameters: [ConfigUnsetParameter] = []
    ) {
        self.name = name
        self.argument = argument
        self.parameters = parameters
        self.children = children
        self.location = location
        self.unsetParameters = unsetParameters
        self.used = Mutex([])
    }

    /// A section built in code, with parameters given as a literal (for tests and defaults).
    public convenience init(
        _ name: String, _ argument: String = "", _ parameters: KeyValuePairs<String, String>,
        children: [ConfigElement] = []
    ) {
        self.init(
            name: name, argument: argument,
            parameters: parameters.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) },
            children: children)
    }

    /// The last occurrence of a parameter (Fluentd keeps the last one when a key repeats).
    public func parameter(_ key: String) -> ConfigParameter? {
        parameters.last { $0.key == key }
    }

    /// The raw value of a parameter, marking it used.
    public func rawValue(_ key: String) -> String? {
        guard let parameter = parameter(key) else { return nil }
        markUsed(key)
        return parameter.value
    }

    public func has(_ key: String) -> Bool { parameter(key) != nil }

    public func markUsed(_ key: String) {
        _ = used.withLock { $0.insert(key) }
    }

    /// Parameters that were never read, excluding `@`-prefixed system parameters.
    public var unusedParameters: [ConfigParameter] {
        let usedKeys = used.withLock { $0 }
        return parameters.filter { !usedKeys.contains($0.key) && !$0.key.hasPrefix("@") }
    }

    /// Child sections with the given name, in file order.
    public func elements(named name: String) -> [ConfigElement] {
        children.filter { $0.name == name }
    }

    public func element(named name: String) -> ConfigElement? {
        children.first { $0.name == name }
    }

    /// The plugin type: `@type`, or the older `type`.
    public var pluginType: String? {
        rawValue("@type") ?? rawValue("type")
    }

    /// `match app.**`, `buffer tag` ... for messages.
    public var title: String { argument.isEmpty ? "<\(name)>" : "<\(name) \(argument)>" }

    public var description: String { dump(indent: "") }

    /// Parameter names whose values never leave the process: monitor_agent's `config` and the
    /// RPC's config dump show `xxxxxx` for them, as Fluentd does for its secret parameters.
    public static let secretKeys: Set<String> = [
        "aws_key_id", "aws_sec_key", "aws_ses_token", "shared_key", "password", "private_key_passphrase",
    ]

    /// The tree written back as classic syntax (used by `--dry-run` and to compare YAML with
    /// classic); with `maskingSecrets`, the values of `secretKeys` are written `xxxxxx`.
    public func dump(indent: String = "", maskingSecrets: Bool = false) -> String {
        var lines: [String] = []
        let inner = name == "ROOT" ? indent : indent + "  "
        if name != "ROOT" { lines.append(indent + title) }
        for parameter in parameters {
            // A key alone means an empty value; other values are quoted only where needed to read back the same.
            let value = ConfigDumpQuoting.classic(maskingSecrets ? parameter.shownValue : parameter.value)
            let key = ConfigDumpQuoting.key(parameter.key)
            lines.append(value.isEmpty ? inner + key : "\(inner)\(key) \(value)")
        }
        for child in children { lines.append(child.dump(indent: inner, maskingSecrets: maskingSecrets)) }
        if name != "ROOT" { lines.append(indent + "</\(name)>") }
        return lines.joined(separator: "\n")
    }
}

/// One `key value` line of a section.
public struct ConfigParameter: Sendable, Equatable {
    /// The value as monitoring and dumps show it: `xxxxxx` for a secret (`ConfigElement.secretKeys`).
    public var shownValue: String { ConfigElement.secretKeys.contains(key) ? "xxxxxx" : value }

    public var key: String
    /// The value after quotes, escapes and `#{...}` interpolation have been applied.
    public var value: String
    public var location: SourceLocation

    public init(key: String, value: String, location: SourceLocation) {
        self.key = key
        self.value = value
        self.location = location
    }
}

/// A `key "#{... use_default}"` (or `use_nil`) line: the key reads as not written.
public struct ConfigUnsetParameter: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case useDefault = "use_default"
        case useNil = "use_nil"
    }

    public var key: String
    public var location: SourceLocation
    public var reason: Reason

    public init(key: String, location: SourceLocation, reason: Reason) {
        self.key = key
        self.location = location
        self.reason = reason
    }
}
