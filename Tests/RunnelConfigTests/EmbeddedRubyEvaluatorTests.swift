import Foundation
import RunnelTestSupport
import Testing

@testable import RunnelConfig

/// Evaluates `code` as the `#{...}` of a value at test.conf:1, with the given environment
/// (never the process's) and the host name "node-1".
func evaluateEmbedded(_ code: String, environment: [String: String] = [:]) throws -> EmbeddedRubyEvaluator.Result {
    try EmbeddedRubyEvaluator.evaluate(
        code, at: SourceLocation(file: "test.conf", line: 1, column: 5),
        context: ConfigParseContext(environment: environment, hostname: "node-1"))
}

/// The text `code` evaluates to; fails the test if it is use_default or use_nil.
func embeddedText(_ code: String, environment: [String: String] = [:]) throws -> String? {
    let result = try evaluateEmbedded(code, environment: environment)
    guard case .text(let text) = result else {
        Issue.record("expected text from \(code), got \(result)")
        return nil
    }
    return text
}

/// The semantics of each construct, checked against what Ruby gives for the same code
/// (`ruby -e 'puts "#{CODE}"'`), which is what Fluentd's `eval_embedded_code` runs.
@Suite("#{...}: the Ruby subset")
struct EmbeddedRubyEvaluatorTests {
    static let environment = ["REGION": "eu-west-1", "EMPTY": "", "PORT": " 8080 ", "NAME": "REGION"]

    static let cases: [(String, String)] = [
        // Literals and their `to_s`.
        (#"'it\'s \\ \n'"#, #"it's \ \n"#),
        (##""tab\there\nline \"q\" \\ \#{x} \s \e \a \v \f \b \0""##, "tab\there\nline \"q\" \\ #{x}   \u{1B} \u{07} \u{0B} \u{0C} \u{08} \u{00}"),
        (#""\u00e9 \u{1F600} \x41 \101 \q""#, "é 😀 A A q"),
        ("42", "42"),
        ("-3", "-3"),
        ("1_000", "1000"),
        ("1.5", "1.5"),
        ("2e3", "2000.0"),
        ("1e20", "1.0e+20"),
        ("-2.5e-7", "-2.5e-07"),
        ("true", "true"),
        ("false", "false"),
        ("nil", ""),
        ("", ""),
        // ENV.
        ("ENV['REGION']", "eu-west-1"),
        (#"ENV["REGION"]"#, "eu-west-1"),
        (" ENV[ 'REGION' ] ", "eu-west-1"),
        ("ENV['UNSET']", ""),
        ("ENV['EMPTY']", ""),
        ("ENV[ENV['NAME']]", "eu-west-1"),
        ("ENV.fetch('REGION')", "eu-west-1"),
        (#"ENV.fetch("REGION", "us-east-1")"#, "eu-west-1"),
        ("ENV.fetch('UNSET', 'us-east-1')", "us-east-1"),
        ("ENV.fetch('UNSET', nil)", ""),
        ("ENV.fetch('UNSET', 24224)", "24224"),
        ("ENV.fetch('EMPTY', 'x')", ""),
        // Truthiness: only nil and false are false.
        ("ENV['UNSET'] || 'fallback'", "fallback"),
        ("ENV['EMPTY'] || 'fallback'", ""),
        ("ENV['UNSET'] || ENV['REGION']", "eu-west-1"),
        ("false || nil", ""),
        ("nil || false", "false"),
        ("0 || 'x'", "0"),
        ("'a' && 'b'", "b"),
        ("nil && 'b'", ""),
        ("ENV['EMPTY'] && 'set'", "set"),
        ("!nil", "true"),
        ("!''", "false"),
        ("!!ENV['REGION']", "true"),
        ("!ENV['UNSET'] && 'unset'", "unset"),
        ("ENV['REGION'] ? 'yes' : 'no'", "yes"),
        ("ENV['UNSET'] ? 'yes' : 'no'", "no"),
        ("ENV['EMPTY'] ? 'yes' : 'no'", "yes"),
        ("nil ? 1 : false ? 2 : 3", "3"),
        ("true ? false ? 1 : 2 : 3", "2"),
        // + on strings, parentheses, statements, locals.
        ("'kinesis-' + ENV['REGION'] + '-1'", "kinesis-eu-west-1-1"),
        ("('a' + 'b') + ('c')", "abc"),
        ("(ENV['UNSET'] || 'x') + 'y'", "xy"),
        ("'a' + (nil || 'b')", "ab"),
        ("host = 'h'; port = '1'; host + ':' + port", "h:1"),
        ("x = 'a'; x = x + 'b'; x", "ab"),
        ("x = x", ""),
        (";; 'a';", "a"),
        ("(a = 'in'; a + '!')", "in!"),
        // rescue: catches Ruby exceptions, takes the fallback.
        ("ENV.fetch('UNSET') rescue 'default'", "default"),
        ("ENV.fetch('REGION') rescue 'default'", "eu-west-1"),
        ("x = ENV.fetch('UNSET') rescue 'assigned'; x", "assigned"),
        ("'a' + nil rescue 'typeerror'", "typeerror"),
        ("nil.strip rescue 'nomethod'", "nomethod"),
        ("ENV.fetch('UNSET') rescue ENV.fetch('UNSET2') rescue 'second'", "second"),
        ("true ? ENV.fetch('UNSET') : 'x' rescue 'ternary'", "ternary"),
        // Methods.
        ("ENV['PORT'].strip", "8080"),
        ("ENV['PORT'].to_i", "8080"),
        ("ENV['PORT'].strip.to_i.to_s", "8080"),
        ("'12abc'.to_i", "12"),
        ("' -4'.to_i", "-4"),
        ("'+7'.to_i", "7"),
        ("'1_000'.to_i", "1000"),
        ("'1__0'.to_i", "1"),
        ("'x'.to_i", "0"),
        ("''.to_i", "0"),
        ("1.9.to_i", "1"),
        ("-1.9.to_i", "-1"),
        ("nil.to_i", "0"),
        ("nil.to_s", ""),
        ("42.to_s", "42"),
        ("true.to_s", "true"),
        ("'  \t a b \n\u{0}'.strip", "a b"),
        ("ENV['UNSET'].to_s", ""),
        ("ENV['REGION'].to_s()", "eu-west-1"),
        // File.join, with Ruby's handling of separators and empty parts.
        ("File.join('/var/log/', '', 'x.pos')", "/var/log/x.pos"),
        ("File.join('/var/log/', 'extra', 'x.pos')", "/var/log/extra/x.pos"),
        ("File.join('/var/log/', '/abs/', 'x.pos')", "/var/log/abs/x.pos"),
        ("File.join('a', 'b', 'c')", "a/b/c"),
        ("File.join('a/', '/b')", "a/b"),
        ("File.join('a//', 'b')", "a//b"),
        ("File.join('a', '//b')", "a//b"),
        ("File.join('a', '', 'b')", "a/b"),
        ("File.join('', 'x')", "/x"),
        ("File.join('/', '/x')", "/x"),
        ("File.join('a', '')", "a/"),
        ("File.join('a')", "a"),
        ("File.join()", ""),
        // Host name and Fluentd's predefined locals.
        ("Socket.gethostname", "node-1"),
        ("Socket.gethostname()", "node-1"),
        ("hostname", "node-1"),
        ("'fluentd-' + hostname", "fluentd-node-1"),
        ("worker_id", "0"),
        // IPAddr.
        ("IPAddr.new('10.96.0.1').ipv4?", "true"),
        ("IPAddr.new('10.96.0.1').ipv6?", "false"),
        ("IPAddr.new('fd00::1').ipv6?", "true"),
        ("IPAddr.new('::ffff:10.0.0.1').ipv6?", "true"),
        ("IPAddr.new('[fd00::1]').ipv6?", "true"),
        ("IPAddr.new('10.0.0.0/8').ipv4?", "true"),
        ("IPAddr.new('10.0.0.0/255.0.0.0').ipv4?", "true"),
        ("IPAddr.new('fe80::1%eth0').ipv6?", "true"),
        ("IPAddr.new('fd00::/64').ipv6?", "true"),
        ("IPAddr.new('kubernetes.default') rescue 'invalid'", "invalid"),
        ("IPAddr.new('10.0.0.256').ipv4? rescue 'invalid'", "invalid"),
        ("IPAddr.new('010.0.0.1').ipv4? rescue 'invalid'", "invalid"),
        ("IPAddr.new('10.0.0.0/33').ipv4? rescue 'invalid'", "invalid"),
        ("IPAddr.new('').ipv4? rescue 'invalid'", "invalid"),
    ]

    @Test(arguments: cases)
    func evaluates(_ code: String, _ expected: String) throws {
        #expect(try embeddedText(code, environment: Self.environment) == expected)
    }

    @Test func readsFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try directory.write("secret/shared_key", "s3cr3t\n")
        #expect(try embeddedText("File.read('\(key)')") == "s3cr3t\n")
        #expect(try embeddedText("File.read('\(key)').strip") == "s3cr3t")
        #expect(try embeddedText("File.open('\(key)').read.strip") == "s3cr3t")
        #expect(try embeddedText("File.read(ENV['KEY_FILE']).strip", environment: ["KEY_FILE": key]) == "s3cr3t")
        #expect(try embeddedText("File.read('\(directory.path)/missing') rescue 'none'") == "none")
        #expect(try embeddedText("File.open('\(directory.path)/missing').read rescue 'none'") == "none")
        #expect(try embeddedText("File.read('\(directory.path)') rescue 'dir'") == "dir")
    }

    @Test func useDefaultAndUseNil() throws {
        #expect(try evaluateEmbedded("use_default") == .useDefault)
        #expect(try evaluateEmbedded("use_nil") == .useNil)
        #expect(try evaluateEmbedded("ENV['UNSET'] || use_default") == .useDefault)
        #expect(try evaluateEmbedded("ENV['X'] || use_default", environment: ["X": "v"]) == .text("v"))
        #expect(try evaluateEmbedded("ENV['UNSET'] || use_nil") == .useNil)
        // Ruby evaluates every argument first, the default of ENV.fetch too.
        #expect(try evaluateEmbedded("ENV.fetch('X', use_default)", environment: ["X": "v"]) == .useDefault)
        // Fluentd's SetDefault and SetNil are not StandardErrors: `rescue` does not catch them.
        #expect(try evaluateEmbedded("use_default rescue 'x'") == .useDefault)
        #expect(try evaluateEmbedded("use_nil rescue 'x'") == .useNil)
    }

    /// Fluentd's `scan_double_quoted_string`: a use_nil anywhere makes the value nil, else a
    /// use_default makes it the default; Runnel leaves such a parameter out of the tree.
    @Test func useDefaultAndUseNilLeaveTheParameterOut() throws {
        let root = try parseClassic(
            """
            <source>
              a 1
              a "#{use_default}"
              b "x-#{use_nil}-#{use_default}"
              c "#{use_nil}"
              c 2
              stream_name "#{ENV['UNSET'] || use_nil}"
            </source>
            """)
        let source = try #require(root.element(named: "source"))
        #expect(source.parameters.map(\.key) == ["c"])
        #expect(source.string("c") == "2")
        #expect(source.has("a") == false && source.has("b") == false)
        #expect(source.unsetParameters.map(\.key) == ["a", "b", "stream_name"])
        #expect(source.unsetParameters.map(\.reason) == [.useDefault, .useNil, .useNil])
        let error = try #require(configError { try source.requiredString("stream_name") })
        #expect(error.message == "<source>: 'stream_name' parameter is required, but its value is use_nil, which leaves it unset; give it a value")
        #expect(error.location.line == 7)
    }

    /// Fluentd's YAML loader reads use_nil in `!fluent/s` as an empty string; use_default leaves the key out.
    @Test func useDefaultAndUseNilInYAML() throws {
        let root = try parseYAML(
            """
            config:
              - source:
                  $type: forward
                  a: !fluent/s "#{use_default}"
                  b: !fluent/s "#{use_nil}"
                  c: !fluent/s "#{ENV['UNSET'] || 'x'}"
            """)
        let source = try #require(root.element(named: "source"))
        #expect(source.has("a") == false)
        #expect(source.string("b") == "")
        #expect(source.string("c") == "x")
    }

    @Test func includePathsAreEvaluated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("systemd.conf", "<source>\n  @type systemd\n</source>\n")
        try directory.write("other.conf", "<source>\n  @type other\n</source>\n")
        let main = try directory.write("fluent.conf", "@include \"#{ENV['FLUENTD_SYSTEMD_CONF'] || 'systemd'}.conf\"\n")
        #expect(try ConfigLoader.load(path: main, environment: [:]).element(named: "source")?.string("@type") == "systemd")
        #expect(try ConfigLoader.load(path: main, environment: ["FLUENTD_SYSTEMD_CONF": "other"]).element(named: "source")?.string("@type") == "other")
    }

    @Test func hostNameOfTheMachineWhenParsing() throws {
        let root = try parseClassic("a \"#{Socket.gethostname}\"\nb \"#{hostname}\"\n")
        #expect(root.string("a") == ConfigParser.hostname())
        #expect(root.string("b") == ConfigParser.hostname())
        #expect(root.string("a")?.isEmpty == false)
    }

    @Test func workerIDFromServerEngine() throws {
        #expect(try embeddedText("worker_id", environment: ["SERVERENGINE_WORKER_ID": "3"]) == "3")
    }
}
