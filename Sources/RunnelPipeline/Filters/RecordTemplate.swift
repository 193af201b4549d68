import RunnelCore

/// One `<record>` value of record_transformer, as filter_record_transformer.rb's `parse_value`
/// reads it: text that starts with `{` or `[` is parsed as JSON (and stays text, with a warning,
/// if it is not JSON); placeholders are expanded in every string of it and in its hash keys.
indirect enum RecordTemplate: Sendable {
    case text(PlaceholderTemplate)
    case map([(key: PlaceholderTemplate, value: RecordTemplate)])
    case array([RecordTemplate])
    /// A JSON number, bool or null: copied as is.
    case value(MessagePackValue)

    /// `notJSON` is called when a value that looks like JSON does not parse.
    init(_ text: String, notJSON: () -> Void) {
        if text.hasPrefix("{") || text.hasPrefix("[") {
            if let parsed = try? JSONReader.decode(text) {
                self = RecordTemplate(parsed)
                return
            }
            notJSON()
        }
        self = .text(PlaceholderTemplate(text))
    }

    init(_ value: MessagePackValue) {
        switch value {
        case .string(let s): self = .text(PlaceholderTemplate(s))
        case .array(let values): self = .array(values.map(RecordTemplate.init))
        case .map(let pairs): self = .map(pairs.map { (PlaceholderTemplate($0.key.stringValue ?? ""), RecordTemplate($0.value)) })
        default: self = .value(value)
        }
    }

    /// Fluentd's `expand_placeholders`.
    func expand(_ values: PlaceholderValues, autoTypecast: Bool, unknown: (String) -> Void) -> MessagePackValue {
        switch self {
        case .text(let template):
            return template.expand(values, autoTypecast: autoTypecast, unknown: unknown)
        case .array(let elements):
            return .array(elements.map { $0.expand(values, autoTypecast: autoTypecast, unknown: unknown) })
        case .map(let pairs):
            var result: [MessagePackPair] = []
            for pair in pairs {
                let key = pair.key.expand(values, autoTypecast: autoTypecast, forceString: true, unknown: unknown)
                let value = pair.value.expand(values, autoTypecast: autoTypecast, unknown: unknown)
                // Assigning an existing key of a Ruby Hash keeps its place.
                if let at = result.firstIndex(where: { $0.key == key }) {
                    result[at].value = value
                } else {
                    result.append(MessagePackPair(key: key, value: value))
                }
            }
            return .map(result)
        case .value(let value):
            return value
        }
    }
}
