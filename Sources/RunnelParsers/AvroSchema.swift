import RunnelCore

/// An Avro schema (Apache Avro 1.11 specification, "Schema Declaration"), read from its JSON:
/// the primitive types, records, enums, arrays, maps, unions and fixed, with named types
/// referred to by name (so recursive records work). Logical types read as their underlying
/// type (a `timestamp-millis` is its `long`). Default values and aliases only matter when a
/// reader's schema differs from the writer's, which Runnel does not do: it reads with the
/// writer's schema.
public struct AvroSchema: Sendable {
    public indirect enum Node: Sendable {
        case null, boolean, int, long, float, double, bytes, string
        case record(name: String, fields: [Field])
        case enumeration(name: String, symbols: [String])
        case array(Node)
        case map(Node)
        case union([Node])
        case fixed(name: String, size: Int)
        /// A named type declared elsewhere in the schema, by its full name.
        case reference(String)
    }

    public struct Field: Sendable {
        public var name: String
        public var type: Node
    }

    public var root: Node
    /// Every named type (records, enums, fixed) by full name.
    public var named: [String: Node]

    public var rootIsRecord: Bool {
        switch root {
        case .record: true
        case .reference(let name):
            if case .record? = named[name] { true } else { false }
        default: false
        }
    }

    public struct SchemaError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(root: Node, named: [String: Node]) {
        self.root = root
        self.named = named
    }

    /// Parses the schema's JSON text.
    public init(json: String) throws {
        let value: MessagePackValue
        do {
            value = try JSONReader.decode(json)
        } catch {
            throw SchemaError(description: "the Avro schema is not JSON: \(error)")
        }
        var named: [String: Node] = [:]
        root = try Self.node(value, namespace: nil, named: &named)
        self.named = named
    }

    static let primitives: [String: Node] = [
        "null": .null, "boolean": .boolean, "int": .int, "long": .long, "float": .float, "double": .double, "bytes": .bytes,
        "string": .string,
    ]

    static func fullName(_ name: String, namespace: String?) -> String {
        if name.contains(".") { return name }
        guard let namespace, !namespace.isEmpty else { return name }
        return namespace + "." + name
    }

    static func node(_ value: MessagePackValue, namespace: String?, named: inout [String: Node]) throws -> Node {
        switch value {
        case .string(let name):
            if let primitive = primitives[name] { return primitive }
            let full = fullName(name, namespace: namespace)
            if named[full] != nil { return .reference(full) }
            if named[name] != nil { return .reference(name) }
            throw SchemaError(description: "the Avro schema uses the type '\(name)' before declaring it")
        case .array(let branches):
            return .union(try branches.map { try node($0, namespace: namespace, named: &named) })
        case .map:
            guard let type = value["type"] else { throw SchemaError(description: "an Avro schema object has no \"type\"") }
            guard case .string(let kind) = type else { return try node(type, namespace: namespace, named: &named) }
            switch kind {
            case "record", "error", "enum", "fixed":
                guard let name = value["name"]?.stringValue else { throw SchemaError(description: "an Avro \(kind) has no \"name\"") }
                let space = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : (value["namespace"]?.stringValue ?? namespace)
                let full = fullName(name, namespace: space)
                switch kind {
                case "enum":
                    guard case .array(let symbols)? = value["symbols"] else { throw SchemaError(description: "the Avro enum \(full) has no \"symbols\"") }
                    let result = Node.enumeration(name: full, symbols: symbols.compactMap(\.stringValue))
                    named[full] = result
                    return result
                case "fixed":
                    guard let size = value["size"].flatMap(Self.integer), size >= 0 else {
                        throw SchemaError(description: "the Avro fixed \(full) has no \"size\"")
                    }
                    let result = Node.fixed(name: full, size: size)
                    named[full] = result
                    return result
                default:
                    guard case .array(let declared)? = value["fields"] else { throw SchemaError(description: "the Avro record \(full) has no \"fields\"") }
                    // Declared before its fields are read, so a field may refer to the record itself.
                    named[full] = .record(name: full, fields: [])
                    var fields: [Field] = []
                    for field in declared {
                        guard let fieldName = field["name"]?.stringValue, let fieldType = field["type"] else {
                            throw SchemaError(description: "a field of the Avro record \(full) has no \"name\" or \"type\"")
                        }
                        fields.append(Field(name: fieldName, type: try node(fieldType, namespace: space, named: &named)))
                    }
                    let result = Node.record(name: full, fields: fields)
                    named[full] = result
                    return result
                }
            case "array":
                guard let items = value["items"] else { throw SchemaError(description: "an Avro array has no \"items\"") }
                return .array(try node(items, namespace: namespace, named: &named))
            case "map":
                guard let values = value["values"] else { throw SchemaError(description: "an Avro map has no \"values\"") }
                return .map(try node(values, namespace: namespace, named: &named))
            default:
                return try node(.string(kind), namespace: namespace, named: &named)
            }
        default:
            throw SchemaError(description: "\(value) is not an Avro schema")
        }
    }

    static func integer(_ value: MessagePackValue) -> Int? {
        switch value {
        case .int(let n): Int(n)
        case .uint(let n): Int(n)
        default: nil
        }
    }
}
