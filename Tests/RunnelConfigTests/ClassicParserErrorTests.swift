import Testing

@testable import RunnelConfig

@Suite("Classic syntax errors")
struct ClassicParserErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var line: Int
        var column: Int
        var message: String
        var kind: ConfigError.Kind = .syntax
        var testDescription: String { message }
    }

    static let cases: [Case] = [
        Case(
            text: "<source>\n  @type forward\n</source>\n<match app.**>\n  @type stdout\n</source>\n",
            line: 6, column: 1,
            message: "expected '</match>' to close <match app.**> opened at a.conf:4, found '</source>'"),
        Case(
            text: "<match app.**>\n  <buffer tag>\n    chunk_limit_size 8m\n",
            line: 4, column: 1,
            message: "expected '</buffer>' to close <buffer tag> opened at a.conf:2:3, found end of file"),
        Case(text: "<source>\n</source>\n</match>\n", line: 3, column: 1, message: "found '</match>' but no section is open here"),
        Case(text: "<source\n</source>\n", line: 1, column: 8, message: "expected '>' to end the tag '<source' before the end of the line"),
        Case(text: "<match a.**\n", line: 1, column: 12, message: "expected '>' to end the tag '<match a.**' before the end of the line"),
        Case(
            text: "< source>\n", line: 1, column: 2,
            message: "expected a section name after '<' (such as <source>, <match PATTERN>, <buffer>), found ' source>'"),
        Case(text: "<source> extra\n</source>\n", line: 1, column: 10, message: "expected end of line after the tag <source>, found 'extra'"),
        Case(text: "<source>\n</source extra>\n", line: 2, column: 10, message: "expected '>' to end the closing tag '</source', found 'extra>'"),
        Case(text: "<source>\n</source> x\n", line: 2, column: 11, message: "expected end of line after '</source>', found 'x'"),
        Case(text: "<source>\n  path \"/var/log\n</source>\n", line: 2, column: 8, message: "unterminated double-quoted string; add the closing '\"'"),
        Case(text: "<source>\n  path '/var/log\n", line: 2, column: 8, message: "unterminated single-quoted string; add the closing \"'\""),
        Case(text: "<source>\n  path \"a\" b\n</source>\n", line: 2, column: 12, message: "expected end of line after the value of 'path', found 'b'"),
        Case(
            text: "<source>\n  path \"a\\qb\"\n</source>\n", line: 2, column: 10,
            message: "unknown escape '\\q' in a double-quoted string (known: \\n \\t \\r \\f \\b \\0 \\\" \\\\ \\#); write '\\\\q' for a backslash"),
        Case(
            text: "<source>\n  keys [\"a\",\n    \"b\"\n</source>\n", line: 4, column: 1,
            message: "invalid JSON array (started at line 2, column 8): expected ',' or ']', found '</source>'; quote the value if it is not JSON"),
        Case(
            text: "<source>\n  format [warn] %{msg}\n</source>\n", line: 2, column: 11,
            message: "invalid JSON array (started at line 2, column 10): expected a JSON value, found 'warn] %{msg}'; quote the value if it is not JSON"),
        Case(
            text: "<source>\n  hash {\"a\" 1}\n</source>\n", line: 2, column: 13,
            message: "invalid JSON object (started at line 2, column 8): expected ':', found '1}'; quote the value if it is not JSON"),
        Case(
            text: "<source>\n  @mytype x\n</source>\n", line: 2, column: 3,
            message: "'@mytype': the '@' prefix is reserved for @type, @id, @label, @log_level and @include; remove the '@'"),
        Case(
            text: "<source>\n  tag \"#{Dir.glob('/etc/*')}\"\n</source>\n", line: 2, column: 8,
            message:
                "\"#{Dir.glob('/etc/*')}\": unsupported Ruby: the constant 'Dir' (supported: ENV, File, Socket, IPAddr). \(EmbeddedRubyEvaluator.supported); put any other value in an environment variable"
        ),
        Case(
            text: "<source>\n  tag \"#{ENV.fetch('MISSING')}\"\n</source>\n", line: 2, column: 8,
            message:
                "\"#{ENV.fetch('MISSING')}\" raised KeyError: key not found: \"MISSING\"; set the environment variable, or give a default: ENV.fetch('NAME', 'default'), or add 'rescue FALLBACK'",
            kind: .invalidValue),
        Case(
            text: "<source>\n  tag \"#{ENV['X']\"\n</source>\n", line: 2, column: 8,
            message: "unterminated '#{' in a double-quoted string; add the closing '}'"),
    ]

    @Test(arguments: cases)
    func reportsFileLineColumnAndWhatWasExpected(_ testCase: Case) throws {
        let error = try #require(configError { try parseClassic(testCase.text, file: "a.conf") })
        #expect(error.message == testCase.message)
        #expect(error.location == SourceLocation(file: "a.conf", line: testCase.line, column: testCase.column))
        #expect(error.kind == testCase.kind)
        #expect(error.description == "a.conf:\(testCase.line):\(testCase.column): \(testCase.message)")
    }

    @Test func nestingTooDeepIsAnErrorNotACrash() throws {
        let text = String(repeating: "<a>\n", count: 10_000)
        let error = try #require(configError { try parseClassic(text) })
        #expect(error.message == "sections are nested more than 64 deep")
        #expect(error.location.line == 65)
    }

    @Test func jsonNestedTooDeepIsAnErrorNotACrash() throws {
        let text = "key " + String(repeating: "[", count: 100_000)
        let error = try #require(configError { try parseClassic(text) })
        #expect(error.message.contains("at most 256 levels of nesting"))
    }
}
