import RunnelConfig

/// `<filter> @type parser`: parses one field of each record with a `<parse>` section.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `key_name` | string | required | same |
/// | `reserve_data` | bool | false | same: keep the original fields too |
/// | `reserve_time` | bool | false | same: keep the original event time |
/// | `remove_key_name_field` | bool | false | same (with `reserve_data`) |
/// | `inject_key_prefix` | string | none | same |
/// | `hash_value_field` | string | none | same: parsed fields go under this key |
/// | `emit_invalid_record_to_error` | bool | true | accepted; invalid records are counted and warned about (rate-limited), not routed to `@ERROR` |
/// | `replace_invalid_sequence` | bool | false | accepted; invalid UTF-8 is always replaced |
public struct ParserFilterConfiguration: Sendable {
    public var keyName: String
    public var reserveData = false
    public var reserveTime = false
    public var removeKeyNameField = false
    public var injectKeyPrefix: String?
    public var hashValueField: String?
    public var emitInvalidRecordToError = true

    public init(keyName: String) {
        self.keyName = keyName
    }

    public init(_ element: ConfigElement) throws {
        keyName = try element.requiredString("key_name")
        reserveData = try element.bool("reserve_data", default: false)
        reserveTime = try element.bool("reserve_time", default: false)
        removeKeyNameField = try element.bool("remove_key_name_field", default: false)
        injectKeyPrefix = element.string("inject_key_prefix")
        hashValueField = element.string("hash_value_field")
        emitInvalidRecordToError = try element.bool("emit_invalid_record_to_error", default: true)
        _ = try element.bool("replace_invalid_sequence", default: false)
    }
}
