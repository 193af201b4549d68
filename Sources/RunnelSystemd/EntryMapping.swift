import RunnelCore

/// in_systemd's `<entry>` (fluent-plugin-systemd's SystemdEntryMutator): how a journal entry's
/// fields become a record.
///
/// - `field_map` `{"SRC": "dst", "SRC2": ["dst", "dst2"]}`: each destination gets the values of
///   its sources present in the entry, joined by a space when there are several (in `field_map`
///   order); mapped source fields are not copied under their own name.
/// - `field_map_strict`: only the mapped destinations are kept.
/// - `fields_strip_underscores`, `fields_lowercase`: applied to the names of unmapped fields; an
///   unmapped field whose new name is already taken is prepended to that value, space-joined.
///
/// Values are bytes: a value that is valid UTF-8 is a MessagePack string, any other a binary.
public struct EntryMapping: Sendable, Equatable {
    /// `field_map`, as written: source field and its destinations.
    public var fieldMap: [(source: String, destinations: [String])]
    public var fieldMapStrict: Bool
    public var fieldsStripUnderscores: Bool
    public var fieldsLowercase: Bool

    public init(
        fieldMap: [(source: String, destinations: [String])] = [], fieldMapStrict: Bool = false,
        fieldsStripUnderscores: Bool = false, fieldsLowercase: Bool = false
    ) {
        self.fieldMap = fieldMap
        self.fieldMapStrict = fieldMapStrict
        self.fieldsStripUnderscores = fieldsStripUnderscores
        self.fieldsLowercase = fieldsLowercase
    }

    public static func == (lhs: EntryMapping, rhs: EntryMapping) -> Bool {
        lhs.fieldMap.elementsEqual(rhs.fieldMap) { $0.source == $1.source && $0.destinations == $1.destinations }
            && lhs.fieldMapStrict == rhs.fieldMapStrict && lhs.fieldsStripUnderscores == rhs.fieldsStripUnderscores
            && lhs.fieldsLowercase == rhs.fieldsLowercase
    }

    var isIdentity: Bool { fieldMap.isEmpty && !fieldMapStrict && !fieldsStripUnderscores && !fieldsLowercase }

    /// Each destination with its sources, destinations in the order they first appear.
    var inverted: [(destination: String, sources: [String])] {
        var order: [String] = []
        for entry in fieldMap { for destination in entry.destinations where !order.contains(destination) { order.append(destination) } }
        return order.map { destination in
            (destination, fieldMap.filter { $0.destinations.contains(destination) }.map(\.source))
        }
    }

    /// The record of one entry. `fields` are as sd-journal enumerates them; a field that repeats
    /// keeps its first place and its last value (as the gem's hash does).
    public func record(_ fields: [(name: String, value: [UInt8])]) -> [(key: String, value: [UInt8])] {
        var entry = OrderedFields()
        for field in fields { entry[field.name] = field.value }
        if isIdentity { return entry.pairs }

        var result = OrderedFields()
        for (destination, sources) in inverted {
            // The gem's JournalEntry#[] also finds a source written in lower case.
            let values = sources.compactMap { entry[$0] ?? entry[$0.uppercased()] }
            if !values.isEmpty { result[destination] = Self.join(values) }
        }
        if fieldMapStrict { return result.pairs }
        let mappedSources = Set(fieldMap.map(\.source))
        for (name, value) in entry.pairs where !mappedSources.contains(name) {
            let key = formattedName(name)
            result[key] = Self.join([value] + (result[key].map { [$0] } ?? []))
        }
        return result.pairs
    }

    func formattedName(_ name: String) -> String {
        var name = name
        if fieldsStripUnderscores { name = String(name.drop { $0 == "_" }) }
        if fieldsLowercase { name = name.lowercased() }
        return name
    }

    static func join(_ values: [[UInt8]]) -> [UInt8] {
        guard values.count > 1 else { return values.first ?? [] }
        var joined: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { joined.append(UInt8(ascii: " ")) }
            joined.append(contentsOf: value)
        }
        return joined
    }

    /// Writes a record as a MessagePack map: valid UTF-8 values as strings, others as binaries.
    public static func write(_ pairs: [(key: String, value: [UInt8])], to writer: inout MessagePackWriter) {
        writer.writeMapHeader(count: pairs.count)
        for (key, value) in pairs {
            writer.write(key)
            if String(validating: value, as: UTF8.self) != nil {
                writer.writeString(utf8: value)
            } else {
                writer.writeBinary(value)
            }
        }
    }
}

/// Fields in insertion order with lookup by name; assigning an existing name keeps its place.
struct OrderedFields {
    private(set) var pairs: [(key: String, value: [UInt8])] = []
    private var index: [String: Int] = [:]

    subscript(name: String) -> [UInt8]? {
        get { index[name].map { pairs[$0].value } }
        set {
            guard let newValue else { return }
            if let position = index[name] {
                pairs[position].value = newValue
            } else {
                index[name] = pairs.count
                pairs.append((name, newValue))
            }
        }
    }
}
