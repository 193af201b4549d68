import RunnelConfig
import RunnelCore

/// `<filter> @type parser`: parses one field of each record with a `<parse>` section.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `key_name` | string: a field name or a record accessor path (`$.log.message`, `$['a']['b']`) | required | same (record_accessor_create) |
/// | `reserve_data` | bool | false | same: keep the original fields too |
/// | `reserve_time` | bool | false | same: keep the original event time |
/// | `remove_key_name_field` | bool | false | same (with `reserve_data`) |
/// | `inject_key_prefix` | string | none | same |
/// | `hash_value_field` | string | none | same: parsed fields go under this key |
/// | `emit_invalid_record_to_error` | bool | true | accepted; invalid records are counted and warned about (rate-limited), not routed to `@ERROR` |
/// | `replace_invalid_sequence` | bool | false | accepted; invalid UTF-8 is always replaced |
public struct ParserFilterConfiguration: Sendable {
    public let keyName: String
    /// `key_name` as a path into the record.
    public let keyAccessor: RecordAccessor
    public var reserveData = false
    public var reserveTime = false
    public var removeKeyNameField = false
    public var injectKeyPrefix: String?
    public var hashValueField: String?
    public var emitInvalidRecordToError = true

    /// nil when `keyName` is a `$` path that does not parse.
    public init?(keyName: String) {
        guard let accessor = RecordAccessor(keyName) else { return nil }
        self.keyName = keyName
        keyAccessor = accessor
    }

    public init(_ element: ConfigElement) throws {
        let keyName = try element.requiredString("key_name")
        guard let accessor = RecordAccessor(keyName) else {
            throw element.invalid("key_name", keyName, expected: "a field name or a record accessor path such as $.log.message or $['a']['b']")
        }
        self.keyName = keyName
        keyAccessor = accessor
        reserveData = try element.bool("reserve_data", default: false)
        reserveTime = try element.bool("reserve_time", default: false)
        removeKeyNameField = try element.bool("remove_key_name_field", default: false)
        injectKeyPrefix = element.string("inject_key_prefix")
        hashValueField = element.string("hash_value_field")
        emitInvalidRecordToError = try element.bool("emit_invalid_record_to_error", default: true)
        _ = try element.bool("replace_invalid_sequence", default: false)
    }
}
