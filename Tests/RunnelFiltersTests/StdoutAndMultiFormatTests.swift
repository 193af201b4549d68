import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import Synchronization
import Testing

@testable import RunnelFilters

@Suite struct StdoutFilterTests {
    @Test(arguments: [
        ("", "{\"field1\":\"value1\",\"n\":1}"),
        ("<format>\n@type stdout\noutput_type hash\n</format>", "{\"field1\"=>\"value1\", \"n\"=>1}"),
        ("<format>\n@type json\n</format>", "{\"field1\":\"value1\",\"n\":1}"),
    ])
    func printsAndPassesEvents(body: String, expected: String) throws {
        let root = try ConfigParser.parse(text: "<filter **>\n@type stdout\n\(body)\n</filter>", file: "test.conf", environment: [:])
        let printed = Mutex<[UInt8]>([])
        let filter = try StdoutFilter(root.elements(named: "filter")[0]) { bytes in printed.withLock { $0 += bytes } }
        let input = stream(tag: "app.log", [.record(["field1": "value1", "n": 1])])
        #expect(try filter.filter(input) == [input])
        let line = String(decoding: printed.withLock { $0 }, as: UTF8.self)
        #expect(line.hasSuffix(" app.log: \(expected)\n"), "\(line)")
        #expect(line.hasPrefix(StdoutFilter.timeFormatter.string(EventTime(seconds: 1_700_000_000))))
    }

    @Test func unknownFormatIsAnError() {
        let error = configError("<filter **>\n@type stdout\n<format>\n@type ltsv\n</format>\n</filter>\n<match **>\n@type capture\n</match>")
        #expect(error.contains("stdout, json or hash"), "\(error)")
    }
}

/// fluent-plugin-multi-format-parser's README: patterns tried top to bottom, first match wins.
@Suite struct MultiFormatParserTests {
    static let readme = """
        <parse>
          @type multi_format
          format_key format
          <pattern>
            format json
            time_key timestamp
            format_name json
          </pattern>
          <pattern>
            format regexp
            expression /^(?<level>[A-Z]+) (?<message>.*)$/
          </pattern>
          <pattern>
            format none
          </pattern>
        </parse>
        """

    @Test(arguments: [
        ("{\"timestamp\":1700000000,\"a\":1}", MessagePackValue.record(["a": 1, "format": "json"])),
        ("WARN disk almost full", .record(["level": "WARN", "message": "disk almost full", "format": "regexp#1"])),
        ("free text", .record(["message": "free text", "format": "none#2"])),
    ])
    func firstMatchingPatternWins(line: String, expected: MessagePackValue) throws {
        let root = try ConfigParser.parse(text: Self.readme, file: "test.conf", environment: [:])
        var parser = try ParserRegistry.makeParser(element: root.elements(named: "parse")[0])
        var output = ParserOutput()
        #expect(parser.parse(line, now: EventTime(seconds: 5), into: &output) == .emitted)
        #expect(output.decoded().map(\.record) == [expected])
    }

    @Test func patternsAreRequiredAndChecked() throws {
        for (text, message) in [
            ("<parse>\n@type multi_format\n</parse>", "at least one <pattern>"),
            ("<parse>\n@type multi_format\n<pattern>\nformat nope\n</pattern>\n</parse>", "nope"),
        ] {
            let root = try ConfigParser.parse(text: text, file: "test.conf", environment: [:])
            let error = #expect(throws: (any Error).self) { try ParserRegistry.makeParser(element: root.elements(named: "parse")[0]) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(message))
            #expect("\(error.map { "\($0)" } ?? "")".contains("test.conf"))
        }
    }
}
