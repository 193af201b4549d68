import Testing

@testable import RunnelConfig

@Suite("#{...} in double-quoted strings")
struct EmbeddedRubyEvaluatorTests {
    static let environment = ["REGION": "eu-west-1", "EMPTY": "", "SERVERENGINE_WORKER_ID": "3"]

    static let cases: [(String, String)] = [
        ("#{ENV['REGION']}", "eu-west-1"),
        (#"#{ENV["REGION"]}"#, "eu-west-1"),
        ("#{ ENV[ 'REGION' ] }", "eu-west-1"),
        ("#{ENV['UNSET']}", ""),
        ("#{ENV['EMPTY']}", ""),
        ("#{ENV.fetch('REGION')}", "eu-west-1"),
        (#"#{ENV.fetch("REGION", "us-east-1")}"#, "eu-west-1"),
        ("#{ENV.fetch('UNSET', 'us-east-1')}", "us-east-1"),
        ("#{ENV.fetch('UNSET', nil)}", ""),
        ("#{ENV['UNSET'] || 'fallback'}", "fallback"),
        ("#{ENV['EMPTY'] || 'fallback'}", ""),
        ("#{ENV['UNSET'] || ENV['REGION']}", "eu-west-1"),
        ("#{worker_id}", "3"),
        ("#{}", ""),
        ("kinesis-#{ENV['REGION']}-#{ENV.fetch('UNSET', 'x')}", "kinesis-eu-west-1-x"),
    ]

    @Test(arguments: cases)
    func evaluates(_ code: String, _ expected: String) throws {
        let root = try parseClassic("key \"\(code)\"\n", environment: Self.environment)
        #expect(root.string("key") == expected)
    }

    @Test(arguments: ["Socket.gethostname", "hostname"])
    func hostName(_ code: String) throws {
        let root = try parseClassic("key \"#{\(code)}\"\n")
        #expect(root.string("key") == ConfigParser.hostname())
        #expect(root.string("key")?.isEmpty == false)
    }

    @Test(arguments: [
        "`rm -rf /`", "ENV['A'].upcase", "1 + 1", "ENV", "ENV.fetch", "ENV.fetch('A',)", "ENV['A'] ||",
        "system('x')", "ENV[A]", "ENV['A'] && 'b'", "Time.now",
    ])
    func rejectsEverythingElse(_ code: String) throws {
        let error = try #require(configError { try parseClassic("key \"#{\(code)}\"\n", environment: ["A": "a"]) })
        #expect(error.message.hasPrefix("only ENV lookups are supported"))
        #expect(error.location.line == 1 && error.location.column == 6)
    }
}
