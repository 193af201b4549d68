// libFuzzer target: every line parser of RunnelParsers, and the time parser, must answer any
// line with an event, a held line or "unmatched", never crash or hang. Built by scripts/fuzz with
// RunnelCore's sources, RunnelConfig without YAML and the loader, and every file of
// RunnelParsers that needs neither RunnelPipeline nor Logging (scripts/fuzz lists them).
//
// Each parser gets the whole input as one line, then each of its newline-separated pieces (so
// multiline and partial container lines join), then a flush. Whatever a parser appends must be
// a well-formed event stream with as many entries as the parser says it wrote.

private let fixedNow = EventTime(seconds: 1_700_000_000)

/// Parsers built the way a `<parse>` section builds them (as Tests/RunnelParsersTests do), once:
/// each input starts from a copy, so held lines never leak from one input into the next.
private let prototypes: [(name: String, parser: any LineParser)] = {
    let sections: [(String, KeyValuePairs<String, String>)] = [
        ("none", ["@type": "none"]),
        ("json", ["@type": "json"]),
        ("json-time", ["@type": "json", "time_key": "ts", "time_format": "%Y-%m-%dT%H:%M:%S.%N%z", "keep_time_key": "true"]),
        ("json-unixtime", ["@type": "json", "time_key": "ts", "time_type": "float"]),
        (
            "regexp",
            [
                "@type": "regexp",
                "expression": #"/^(?<time>[^ ]+) (?<level>\w+) (?<code>\d+) (?<user>\S+) (?<size>[\d.]+) (?<tags>[^ ]*) (?<msg>.*)$/"#,
                "time_format": "%Y-%m-%dT%H:%M:%S%z",
                "types": "code:integer,size:float,tags:array:|,ok:bool", "null_value_pattern": "-",
            ]
        ),
        ("ltsv", ["@type": "ltsv", "time_type": "unixtime"]),
        ("csv", ["@type": "csv", "keys": "time,a,b,c", "types": "c:integer", "time_key": "time", "time_format": "%s"]),
        ("tsv", ["@type": "tsv", "keys": "a,b,c"]),
        ("syslog-3164", ["@type": "syslog", "with_priority": "true"]),
        ("syslog-5424", ["@type": "syslog", "message_format": "rfc5424"]),
        ("syslog-auto", ["@type": "syslog", "message_format": "auto"]),
        ("apache2", ["@type": "apache2"]),
        ("apache_error", ["@type": "apache_error"]),
        ("nginx", ["@type": "nginx"]),
        ("docker", ["@type": "docker"]),
        ("cri", ["@type": "cri"]),
        ("container", ["@type": "container"]),
        (
            "multiline",
            [
                "@type": "multiline", "format_firstline": #"/^\d{4}-/"#,
                "format1": #"/^(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<level>\w+) (?<message>.*)/"#,
                "time_format": "%Y-%m-%d %H:%M:%S", "utc": "true",
            ]
        ),
    ]
    return sections.map { name, parameters in
        do {
            return (name, try ParserRegistry.makeParser(element: ConfigElement("parse", "", parameters)))
        } catch {
            fatalError("fuzz setup: parser \(name) cannot be built: \(error)")
        }
    }
}()

/// Time parsers over the formats the parsers and tests use, plus guessing and both numeric types.
private let timeParsers: [TimeParser] = [
    TimeParser(zone: .fixed(offsetSeconds: 0)),
    TimeParser(zone: .local),
    TimeParser(type: .unixtime),
    TimeParser(type: .float),
    TimeParser(format: "%Y-%m-%dT%H:%M:%S.%N%z", zone: .fixed(offsetSeconds: 0)),
    TimeParser(format: "%Y-%m-%dT%H:%M:%S.%L%z", zone: .fixed(offsetSeconds: 3600)),
    TimeParser(format: "%d/%b/%Y:%H:%M:%S %z", zone: .local),
    TimeParser(format: "%b %d %H:%M:%S", zone: .local),
    TimeParser(format: "%Y-%m-%d %I:%M:%S %p", zone: .fixed(offsetSeconds: -18000)),
    TimeParser(format: "%FT%T", zone: .fixed(offsetSeconds: 0)),
    TimeParser(format: "%s", zone: .fixed(offsetSeconds: 0)),
    TimeParser(format: "%a %b %e %H:%M:%S %Y %j %y %Z", zone: .local),
]

/// The avro parser is built for each input: a schema kept in a global holds its enum boxes
/// through tagged pointers, which LeakSanitizer does not follow (it reports them as leaks).
private let avroSchema =
    #"{"type":"record","name":"Node","fields":[{"name":"v","type":["null","long","string",{"type":"map","values":"double"}]},{"name":"next","type":["null","Node"]},{"name":"tags","type":{"type":"array","items":{"type":"enum","name":"T","symbols":["a","b"]}}},{"name":"id","type":{"type":"fixed","name":"F","size":4}}]}"#

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var lines: [UnsafeRawBufferPointer] = []
    var start = 0
    for index in 0..<size where input[index] == UInt8(ascii: "\n") {
        lines.append(UnsafeRawBufferPointer(rebasing: input[start..<index]))
        start = index + 1
    }
    lines.append(UnsafeRawBufferPointer(rebasing: input[start..<size]))

    let avro: (name: String, parser: any LineParser) = ("avro", AvroParser(schema: try! AvroSchema(json: avroSchema)))
    for prototype in prototypes + [avro] {
        var parser = prototype.parser
        var output = ParserOutput()
        _ = parser.parse(input, now: fixedNow, into: &output)
        for line in lines { _ = parser.parse(line, now: fixedNow, into: &output) }
        parser.flush(now: fixedNow, into: &output)
        checkOutput(output, parser: prototype.name)
    }

    for line in lines.prefix(4) + [input] {
        for timeParser in timeParsers {
            if let time = timeParser.parse(line, now: fixedNow) {
                precondition(time.nanoseconds < 1_000_000_000, "time parser returned \(time.nanoseconds) ns")
            }
        }
        _ = UTCOffset.parse(String(decoding: line, as: UTF8.self))
    }
    return 0
}

/// What parsers append goes straight into an EventStream: it must validate and walk.
private func checkOutput(_ output: ParserOutput, parser: String) {
    let entries = output.writer.bytes
    let validated: Int
    do {
        validated = try EventStream.validateEntries(entries)
    } catch {
        preconditionFailure("\(parser) wrote entries that do not validate: \(error)")
    }
    precondition(validated == output.count, "\(parser) counted \(output.count) events but wrote \(validated)")
    do {
        try EventStream(tag: "fuzz", entries: entries, count: validated).forEachEntry { _, reader in
            var json: [UInt8] = []
            try JSONWriter.appendValue(from: &reader, to: &json)
        }
    } catch {
        preconditionFailure("\(parser) entries validated but do not walk: \(error)")
    }
}
