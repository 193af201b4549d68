import Foundation
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelParsers

/// `@type avro` against data written by the PyPI fastavro package: single datums in the writer's
/// schema, and object container files (null and deflate codecs, several blocks).
@Suite struct AvroParserTests {
    static let python = Python.first(importing: ["fastavro"])

    static let schema = #"""
        {"type": "record", "name": "Order", "namespace": "shop",
         "fields": [
           {"name": "id", "type": "long"},
           {"name": "small", "type": "int"},
           {"name": "customer", "type": "string"},
           {"name": "paid", "type": "boolean"},
           {"name": "total", "type": "double"},
           {"name": "ratio", "type": "float"},
           {"name": "note", "type": ["null", "string"]},
           {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SENT"]}},
           {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item",
               "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
           {"name": "attributes", "type": {"type": "map", "values": "string"}},
           {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
           {"name": "raw", "type": "bytes"},
           {"name": "next", "type": ["null", "Item"]},
           {"name": "time", "type": {"type": "long", "logicalType": "timestamp-millis"}}
         ]}
        """#

    /// Records written by fastavro: `datums` one base64 line each, or one container file.
    static func write(_ mode: String, count: Int, codec: String = "null") async throws -> [String] {
        let script = """
            import base64, io, json, sys, datetime
            import fastavro
            schema = fastavro.parse_schema(json.loads(sys.stdin.read()))
            mode, count, codec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            def record(i):
                return {"id": -(2**40) + i, "small": -i, "customer": "c-%d é" % i, "paid": i % 2 == 0, "total": i * 1.25,
                        "ratio": 0.5, "note": None if i % 3 else "note %d" % i, "status": ["NEW", "PAID", "SENT"][i % 3],
                        "items": [{"sku": "s%d" % j, "qty": j} for j in range(i % 4)], "attributes": {"k%d" % i: "v"},
                        "digest": bytes([i % 256, 1, 2, 3]), "raw": b"\\x00\\xff", "next": {"sku": "n", "qty": i} if i % 2 else None,
                        "time": datetime.datetime(2026, 12, 1, 10, 0, i % 60, tzinfo=datetime.timezone.utc)}
            if mode == "datums":
                for i in range(count):
                    out = io.BytesIO()
                    fastavro.schemaless_writer(out, schema, record(i))
                    print(base64.b64encode(out.getvalue()).decode())
            else:
                out = io.BytesIO()
                fastavro.writer(out, schema, [record(i) for i in range(count)], codec=codec, sync_interval=200)
                print(base64.b64encode(out.getvalue()).decode())
            """
        let result = try await Python.run(Self.python!, ["-c", script, mode, String(count), codec], stdin: Self.schema)
        guard result.status == 0 else { throw TestFailure(result.output) }
        return result.output.split(separator: "\n").map(String.init)
    }

    static func parse(_ parser: inout AvroParser, _ base64: String) -> (ParseOutcome, [(time: EventTime, record: MessagePackValue)]) {
        var output = ParserOutput()
        let data = Array(Data(base64Encoded: base64)!)
        let outcome = data.withUnsafeBytes { parser.parse($0, now: EventTime(seconds: 1), into: &output) }
        return (outcome, output.decoded())
    }

    static func check(_ record: MessagePackValue, time: EventTime, index i: Int) {
        #expect(record["id"] == .int(-(1 << 40) + Int64(i)))
        #expect(record["small"] == .int(Int64(-i)))
        #expect(record["customer"] == .string("c-\(i) é"))
        #expect(record["paid"] == .bool(i % 2 == 0))
        #expect(record["total"] == .double(Double(i) * 1.25))
        #expect(record["ratio"] == .float(0.5))
        #expect(record["note"] == (i % 3 == 0 ? .string("note \(i)") : .nil))
        #expect(record["status"] == .string(["NEW", "PAID", "SENT"][i % 3]))
        if case .array(let items)? = record["items"] {
            #expect(items.count == i % 4)
            #expect(items.last.map { $0["qty"] == .int(Int64(i % 4 - 1)) } ?? true)
        } else {
            Issue.record("items is not an array: \(String(describing: record["items"]))")
        }
        #expect(record["attributes"]?["k\(i)"] == .string("v"))
        #expect(record["digest"] == .binary([UInt8(i % 256), 1, 2, 3]))
        #expect(record["raw"] == .binary([0, 255]))
        #expect(record["next"] == (i % 2 == 1 ? .map([MessagePackPair(key: "sku", value: "n"), MessagePackPair(key: "qty", value: .int(Int64(i)))]) : .nil))
        #expect(record["time"] == nil)
        _ = time
    }

    @Test(.enabled(if: python != nil, "needs python3 with fastavro"))
    func datumsInTheWritersSchema() async throws {
        var parser = try AvroParser(ConfigElement("parse", "", ["@type": "avro", "avro_schema": Self.schema, "time_key": "none"]))
        for (i, line) in try await Self.write("datums", count: 12).enumerated() {
            let (outcome, events) = Self.parse(&parser, line)
            #expect(outcome == .emitted)
            #expect(events.count == 1)
            var record = events[0].record
            #expect(record["time"] == .uint(1_796_119_200_000 + UInt64(i % 60) * 1000), "timestamp-millis is its long")
            if case .map(let pairs) = record { record = .map(pairs.filter { $0.key != "time" }) }
            Self.check(record, time: events[0].time, index: i)
        }
    }

    @Test(.enabled(if: python != nil, "needs python3 with fastavro"), arguments: ["null", "deflate"])
    func objectContainerFilesNeedNoSchemaParameter(codec: String) async throws {
        var parser = try AvroParser(ConfigElement("parse", "", ["@type": "avro", "time_key": "none"]))
        let file = try await Self.write("file", count: 40, codec: codec)
        let (outcome, events) = Self.parse(&parser, file[0])
        #expect(outcome == .emitted)
        #expect(events.count == 40)
        for (i, event) in events.enumerated() {
            var record = event.record
            if case .map(let pairs) = record { record = .map(pairs.filter { $0.key != "time" }) }
            Self.check(record, time: event.time, index: i)
        }
    }

    @Test(.enabled(if: python != nil, "needs python3 with fastavro"))
    func whatDoesNotDecodeIsUnmatchedAndEmitsNothing() async throws {
        var parser = try AvroParser(ConfigElement("parse", "", ["@type": "avro", "avro_schema": Self.schema]))
        let line = try await Self.write("datums", count: 1)[0]
        var bytes = Array(Data(base64Encoded: line)!)
        for cut in [1, bytes.count / 2, bytes.count - 1] {
            let (outcome, events) = Self.parse(&parser, Data(bytes.prefix(cut)).base64EncodedString())
            #expect(outcome == .unmatched && events.isEmpty, "cut at \(cut)")
        }
        bytes.append(0)
        #expect(Self.parse(&parser, Data(bytes).base64EncodedString()).0 == .unmatched, "a byte after the datum")
        var file = Array(Data(base64Encoded: try await Self.write("file", count: 30)[0])!)
        file[file.count - 3] ^= 0xff
        #expect(Self.parse(&parser, Data(file).base64EncodedString()).1.isEmpty, "a damaged sync marker: nothing from the file")
        var schemaless = try AvroParser(ConfigElement("parse", "", ["@type": "avro"]))
        #expect(Self.parse(&schemaless, line).0 == .unmatched, "a datum needs the writer's schema")
    }

    @Test func recursiveSchemasAndHostileNesting() throws {
        let list = try AvroSchema(json: #"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#)
        // v=1, next=branch 1 -> v=2, next=branch 0 (null); zig-zag: 1 -> 2, 2 -> 4.
        var decoder = AvroDecoder(schema: list, bytes: [2, 2, 4, 0][...])
        let value = try decoder.decode()
        #expect(value["v"] == .int(1))
        #expect(value["next"]?["v"] == .int(2))
        #expect(value["next"]?["next"] == .nil)
        // A chain deeper than the limit is refused, not a stack overflow.
        var deep: [UInt8] = []
        for _ in 0..<1000 { deep += [2, 2] }
        var hostile = AvroDecoder(schema: list, bytes: deep[...])
        #expect(throws: AvroDecoder.DecodingError.self) { try hostile.decode() }
    }

    @Test func badSchemasAreNamed() throws {
        let cases: [([String: String], String)] = [
            (["avro_schema": "{not json"], "not JSON"),
            (["avro_schema": #""long""#], "must be a record schema"),
            (["avro_schema": #"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#], "'Missing' before declaring it"),
            (["avro_schema_path": "/nonexistent/schema.avsc"], "avro_schema_path"),
        ]
        for (parameters, message) in cases {
            do {
                let all = parameters.merging(["@type": "avro"]) { $1 }.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) }
                _ = try AvroParser(ConfigElement(name: "parse", parameters: all))
                Issue.record("accepted \(parameters)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }
}
