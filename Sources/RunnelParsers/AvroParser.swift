import Foundation
import RunnelConfig
import RunnelCore

/// `@type avro`: each input (a Kinesis record's data, say) is Avro. An object container file
/// (`Obj` 1 ...) carries its own schema and gives one event per record; anything else is one datum
/// in the binary encoding of the writer's schema, from `avro_schema_path` (a `.avsc` file) or
/// `avro_schema` (the JSON inline), and must be read to its last byte. The root type must be a
/// record, whose fields become the event's; `time_key` and the other common parameters work as in
/// `@type json`. Data that does not decode is unmatched.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `avro_schema_path` | path | – | the writer's schema (JSON), read once at start |
/// | `avro_schema` | JSON | – | the same, inline |
///
/// Without either, only object container files are read.
public struct AvroParser: LineParser {
    public var common: ParserCommon
    public let schema: AvroSchema?

    public init(schema: AvroSchema?, common: ParserCommon = ParserCommon()) {
        self.schema = schema
        self.common = common
    }

    public init(_ element: ConfigElement) throws {
        var text: String?
        if let path = element.string("avro_schema_path") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw element.invalid("avro_schema_path", path, expected: "a readable Avro schema (.avsc) file")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        if let inline = element.string("avro_schema") {
            guard text == nil else { throw element.rejected("avro_schema", "cannot be given with avro_schema_path") }
            text = inline
        }
        var schema: AvroSchema?
        if let text {
            do {
                schema = try AvroSchema(json: text)
            } catch {
                throw element.rejected(element.has("avro_schema") ? "avro_schema" : "avro_schema_path", "\(error)")
            }
            guard schema?.rootIsRecord == true else {
                throw element.rejected(element.has("avro_schema") ? "avro_schema" : "avro_schema_path", "must be a record schema")
            }
        }
        self.init(schema: schema, common: try ParserCommon(element))
    }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        let bytes = Array(line)
        let records: [MessagePackValue]
        if bytes.starts(with: AvroContainer.magic) {
            guard let decoded = try? AvroContainer.records(bytes) else { return .unmatched }
            records = decoded
        } else {
            guard let schema else { return .unmatched }
            var decoder = AvroDecoder(schema: schema, bytes: bytes[...])
            guard let value = try? decoder.decode(), decoder.isAtEnd else { return .unmatched }
            records = [value]
        }
        // Decoded in full before anything is appended, so a bad file emits nothing.
        var events: [(EventTime, [(String, MessagePackValue)])] = []
        for record in records {
            guard case .map(let pairs) = record else { return .unmatched }
            var fields = pairs.map { ($0.key.stringValue ?? "", $0.value) }
            guard let time = common.extractTime(&fields, now: now) else { return .unmatched }
            events.append((time, fields))
        }
        guard !events.isEmpty else { return .unmatched }
        for (time, fields) in events { output.append(time: time, fields: fields) }
        return .emitted
    }
}
