import CZlib
import RunnelCore
import RunnelFormat
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

@Suite struct RecordFormatterTests {
    let record: MessagePackValue = .record(["a": 1, "b": 2])

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test(arguments: [
        // (add_newline, chomp_record, append_new_line, expected): fluent-plugin-kinesis' documented combinations.
        (true, false, false, "{\"a\":1,\"b\":2}\n"),
        (true, true, false, "{\"a\":1,\"b\":2}"),
        (true, false, true, "{\"a\":1,\"b\":2}\n"),
        (true, true, true, "{\"a\":1,\"b\":2}\n"),
        (false, false, false, "{\"a\":1,\"b\":2}"),
        (false, true, false, "{\"a\":1,\"b\":2}"),
        (false, false, true, "{\"a\":1,\"b\":2}\n"),
    ])
    func jsonNewlineCombinations(addNewline: Bool, chomp: Bool, append: Bool, expected: String) throws {
        var format = FormatConfiguration()
        format.addNewline = addNewline
        let formatter = RecordFormatter(format: format, chompRecord: chomp, appendNewLine: append)
        #expect(Self.text(try formatted(formatter, record)) == expected)
    }

    @Test func everyFormat() throws {
        func run(_ configure: (inout FormatConfiguration) -> Void, _ record: MessagePackValue) throws -> String {
            var format = FormatConfiguration()
            configure(&format)
            return Self.text(try formatted(RecordFormatter(format: format), record))
        }
        #expect(try run({ $0.kind = .ltsv }, record) == "a:1\tb:2\n")
        #expect(try run({ $0.kind = .singleValue }, .record(["message": "hello", "x": 1])) == "hello\n")
        #expect(
            try run(
                {
                    $0.kind = .singleValue; $0.addNewline = false
                }, .record(["message": "hello"])) == "hello")
        #expect(
            try run(
                {
                    $0.kind = .singleValue; $0.messageKey = "x"
                }, .record(["message": "hello", "x": 1])) == "1\n")
        #expect(
            try run(
                {
                    $0.kind = .csv; $0.fields = ["b", "a"]; $0.delimiter = [UInt8(ascii: ",")]
                }, record) == "\"2\",\"1\"\n")
        #expect(
            try run(
                {
                    $0.kind = .csv; $0.fields = ["a", "b", "c"]; $0.forceQuotes = false; $0.delimiter = [UInt8(ascii: ",")]
                },
                .record(["a": "x,y", "b": "say \"hi\"", "c": 3])) == "\"x,y\",\"say \"\"hi\"\"\",3\n")
        #expect(try run({ $0.kind = .hash }, .record(["a": 1, "b": "x", "c": nil, "d": [true]])) == "{\"a\"=>1, \"b\"=>\"x\", \"c\"=>nil, \"d\"=>[true]}\n")
        // formatter_tsv.rb: values of `keys` with to_s, a missing key empty, joined by a tab.
        #expect(
            try run(
                {
                    $0.kind = .tsv; $0.fields = ["b", "missing", "a"]
                }, record) == "2\t\t1\n")
        #expect(
            try run(
                {
                    $0.kind = .tsv; $0.fields = ["f", "m"]; $0.delimiter = [UInt8(ascii: "|")]
                },
                .record(["f": .double(1e16), "m": .record(["k": .double(-0.0)])])) == "1.0e+16|{\"k\"=>-0.0}\n")
        // Text formatters use Ruby's Float#to_s, JSON uses Oj's float form.
        #expect(try run({ $0.kind = .ltsv }, .record(["f": .double(1e16), "z": .double(-0.0)])) == "f:1.0e+16\tz:-0.0\n")
        #expect(try run({ $0.kind = .json }, .record(["f": .double(1e16), "z": .double(-0.0)])) == "{\"f\":10000000000000000.0,\"z\":0.0}\n")
        #expect(try run({ $0.kind = .outFile }, record) == "2023-11-14T22:13:20+0000\tapp.test\t{\"a\":1,\"b\":2}\n")
        #expect(
            try run(
                {
                    $0.kind = .outFile; $0.outputTime = false
                }, record) == "app.test\t{\"a\":1,\"b\":2}\n")
        var msgpack = FormatConfiguration()
        msgpack.kind = .msgpack
        #expect(try formatted(RecordFormatter(format: msgpack), record) == record.encoded)
        #expect(try formatted(RecordFormatter(format: msgpack, chompRecord: true), record) == record.encoded)
    }

    @Test func injectAddsHostnameTagAndTime() throws {
        var inject = InjectConfiguration()
        inject.hostnameKey = "host"
        inject.hostname = "node-1"
        inject.tagKey = "tag"
        inject.timeKey = "time"
        let formatter = RecordFormatter(inject: inject, chompRecord: true)
        #expect(
            Self.text(try formatted(formatter, .record(["a": 1, "tag": "old"])))
                == "{\"a\":1,\"tag\":\"app.test\",\"host\":\"node-1\",\"time\":\"2023-11-14T22:13:20.123456789+0000\"}")
        var unix = InjectConfiguration()
        unix.timeKey = "t"
        unix.timeType = .unixtime
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":1700000000}")
        // Fluentd's float: `time.to_r.truncate(+6).to_f`, whole microseconds (plugin_helper/inject.rb).
        unix.timeType = .float
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":1700000000.123456}")
        unix.timeType = .unixtimeMillis
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":1700000000123}")
        unix.timeType = .unixtimeMicros
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":1700000000123456}")
        unix.timeType = .unixtimeNanos
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":1700000000123456789}")
        unix.workerIDKey = "worker"
        unix.timeType = .unixtime
        #expect(Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"worker\":0,\"t\":1700000000}")
        unix.workerIDKey = nil
        unix.timeType = .string
        unix.time = TimeFormatter(format: "%Y-%m-%d %H:%M:%S.%3N %:z", utcOffset: 9 * 3600)
        #expect(
            Self.text(try formatted(RecordFormatter(inject: unix, chompRecord: true), record)) == "{\"a\":1,\"b\":2,\"t\":\"2023-11-15 07:13:20.123 +09:00\"}")
    }

    @Test func dataKeySendsTheFieldAlone() throws {
        let formatter = RecordFormatter(dataKey: "a")
        #expect(Self.text(try formatted(formatter, .record(["a": "raw text\n", "b": 2]))) == "raw text\n")
        #expect(Self.text(try formatted(formatter, .record(["a": 12, "b": 2]))) == "12")
        #expect(throws: RecordFormatter.Skip.keyNotFound("a")) { try formatted(formatter, .record(["b": 2])) }
        #expect(throws: RecordFormatter.Skip.keyNotFound("a")) { try formatted(formatter, .record(["a": nil])) }
        let firehose = RecordFormatter(dataKey: "a", appendNewLine: true)
        #expect(Self.text(try formatted(firehose, .record(["a": "line"]))) == "line\n")
    }

    @Test(arguments: [RecordCompression.zlib, .gzip])
    func compressionRoundTrips(compression: RecordCompression) throws {
        let big: MessagePackValue = .record(["message": .string(String(repeating: "compress me ", count: 200))])
        let plain = try formatted(RecordFormatter(), big)
        let packed = try formatted(RecordFormatter(compression: compression), big)
        #expect(packed.count < plain.count / 4)
        if compression == .gzip { #expect(Array(packed.prefix(2)) == [0x1f, 0x8b]) } else { #expect(packed.first == 0x78) }
        #expect(try Self.inflate(packed) == plain)
        // Firehose appends its newline after compression, as fluent-plugin-kinesis does.
        let framed = try formatted(RecordFormatter(compression: compression, appendNewLine: true), big)
        #expect(framed.last == 0x0a)
        #expect(try Self.inflate(Array(framed.dropLast())) == plain)
    }

    static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: detect zlib or gzip.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TestFailure("inflateInit")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var input = input
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw TestFailure("inflate \(status)") }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
