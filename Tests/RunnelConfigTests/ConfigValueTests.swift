import Testing

@testable import RunnelConfig

@Suite("Typed parameter values")
struct ConfigValueTests {
    /// Fluentd's `Config.size_value` (lib/fluent/config/types.rb, v1.16 to v1.19): `/([0-9]+)k/i`,
    /// then m, g, t, each a power of 1024, else an integer. The match is not anchored, so the
    /// `B` of `8MB` is ignored there: 8 MiB.
    @Test(
        arguments: [
            ("1k", 1024), ("1K", 1024), ("8m", 8 << 20), ("8M", 8 << 20), ("8MB", 8 << 20), ("8mb", 8 << 20),
            ("8Mb", 8 << 20), ("256kb", 262_144), ("256KB", 262_144), ("1g", 1 << 30), ("1GB", 1 << 30), ("1t", 1 << 40),
            ("1TB", 1 << 40), ("0", 0), ("1024", 1024), ("1_024", 1024), (" 256k ", 262_144),
        ] as [(String, Int)])
    func sizes(_ raw: String, _ expected: Int) {
        #expect(ConfigValue.size(raw) == expected)
    }

    /// Not sizes: Fluentd reads `1.5m` as 5 MiB (the digits before the unit), `8 MB` as 8 bytes
    /// (no digit touches the unit, so `to_i`), `abc` as 0; Runnel refuses all of these.
    @Test(arguments: ["-1", "abc", "", "k", "1x", "-1k", "99999999999t", "1.5m", "8 MB", "8b", "8B", "8mbb", "m8", "1_0k"])
    func invalidSizes(_ raw: String) {
        #expect(ConfigValue.size(raw) == nil)
    }

    @Test func fractionalSizeSaysWhatToWrite() throws {
        let root = try parseClassic("<buffer>\n  chunk_limit_size 1.5m\n</buffer>\n")
        let buffer = try #require(root.element(named: "buffer"))
        let error = try #require(configError { try buffer.size("chunk_limit_size") })
        #expect(
            error.message
                == "<buffer>: parameter 'chunk_limit_size' has value \"1.5m\"; expected a whole size such as 1024, 256k, 8m or 1g (Fluentd reads only the digits before the unit, so 1.5m would be 5m there); write 1536k for 1.5m"
        )
    }

    @Test(
        arguments: [
            ("10", 10), ("10s", 10), ("5m", 300), ("1.5h", 5400), ("1d", 86400), ("0.5", 0.5), ("0", 0), ("-1", -1),
        ] as [(String, Double)])
    func times(_ raw: String, _ expected: Double) {
        #expect(ConfigValue.time(raw) == expected)
    }

    @Test(arguments: ["abc", "", "s", "10x", "-5s", "1.5.h", "inf"])
    func invalidTimes(_ raw: String) {
        #expect(ConfigValue.time(raw) == nil)
    }

    @Test(
        arguments: [
            ("true", true), ("yes", true), ("false", false), ("no", false), ("", true), ("# a comment", true),
        ] as [(String, Bool)])
    func bools(_ raw: String, _ expected: Bool) {
        #expect(ConfigValue.bool(raw) == expected)
    }

    @Test(arguments: ["maybe", "TRUE", "1", "on"])
    func invalidBools(_ raw: String) {
        #expect(ConfigValue.bool(raw) == nil)
    }

    @Test(
        arguments: [
            ("42", 42), ("1_000_000", 1_000_000), ("-7", -7), (" 3 ", 3),
        ] as [(String, Int)])
    func integers(_ raw: String, _ expected: Int) {
        #expect(ConfigValue.integer(raw) == expected)
    }

    @Test(arguments: ["1.5", "abc", "", "1e3", "12abc"])
    func invalidIntegers(_ raw: String) {
        #expect(ConfigValue.integer(raw) == nil)
    }

    @Test(
        arguments: [
            (#"["a","b"]"#, ["a", "b"]), (#"["a", 1, null, {"k": "v"}]"#, ["a", "1", "", #"{"k":"v"}"#]),
            ("a,b", ["a", "b"]), (" a , b ,c ", ["a", "b", "c"]), ("a,b,", ["a", "b"]), ("", []), ("single", ["single"]),
            ("[]", []),
        ] as [(String, [String])])
    func arrays(_ raw: String, _ expected: [String]) {
        #expect(ConfigValue.array(raw) == expected)
    }

    @Test(arguments: [#"["a""#, "[1,", "[x]"])
    func invalidArrays(_ raw: String) {
        #expect(ConfigValue.array(raw) == nil)
    }

    @Test(
        arguments: [
            (#"{"b":"1","a":2}"#, ["b=1", "a=2"]), ("k1:v1,k2:v2", ["k1=v1", "k2=v2"]), (" k1 : v1 , k2:v:2 ", ["k1=v1", "k2=v:2"]),
            (#"{"n":{"x":1}}"#, [#"n={"x":1}"#]), ("", []),
        ] as [(String, [String])])
    func hashes(_ raw: String, _ expected: [String]) {
        #expect(ConfigValue.hash(raw)?.map { "\($0.key)=\($0.value)" } == expected)
    }

    @Test(arguments: ["nocolon", #"{"a":"#, "[1]"])
    func invalidHashes(_ raw: String) {
        #expect(ConfigValue.hash(raw) == nil)
    }

    enum Compression: String, CaseIterable { case none = "", gzip, zlib }

    @Test func enumerations() throws {
        let section = ConfigElement("match", "**", ["compression": "gzip", "bad": "lz4"])
        #expect(try section.enumeration("compression", default: Compression.none) == .gzip)
        #expect(try section.enumeration("missing", default: Compression.zlib) == .zlib)
        #expect(try section.enumeration("missing") as Compression? == nil)
        let error = try #require(configError { try section.enumeration("bad", default: Compression.none) })
        #expect(error.message == "<match **>: parameter 'bad' has value \"lz4\"; expected one of , gzip, zlib")
        #expect(error.kind == .invalidValue)
    }

    @Test func typedReadersNameFileLineAndParameter() throws {
        let root = try parseClassic(
            "<match app.**>\n  flush_interval soon\n  chunk_limit_size 8 MB\n  retry_limit 1.5\n  flag maybe\n  keys [1\n  ]\n</match>\n",
            file: "kinesis.conf")
        let match = try #require(root.element(named: "match"))
        let time = try #require(configError { try match.time("flush_interval") })
        #expect(
            time.description == "kinesis.conf:2:3: <match app.**>: parameter 'flush_interval' has value \"soon\"; expected a time such as 30, 10s, 5m, 1h or 1d"
        )
        let size = try #require(configError { try match.size("chunk_limit_size") })
        #expect(size.location.line == 3)
        #expect(size.message.hasSuffix("expected a size such as 1024, 256k, 8m, 8MB or 1g"))
        #expect(configError { try match.integer("retry_limit") }?.location.line == 4)
        #expect(configError { try match.bool("flag") }?.message.hasSuffix("expected true or false") == true)
        #expect(try match.array("keys") == ["1"])
        #expect(try match.float("retry_limit") == 1.5)
        let missing = try #require(configError { try match.requiredString("stream_name") })
        #expect(missing.kind == .missingParameter)
        #expect(missing.description == "kinesis.conf:1: <match app.**>: 'stream_name' parameter is required")
    }

    @Test func defaultsApplyOnlyWhenAbsent() throws {
        let section = ConfigElement("buffer", "", ["flush_interval": "5s"])
        #expect(try section.time("flush_interval", default: 60) == 5)
        #expect(try section.time("retry_wait", default: 1) == 1)
        #expect(try section.size("chunk_limit_size", default: 8 << 20) == 8 << 20)
        #expect(try section.bool("flush_at_shutdown", default: true) == true)
        #expect(try section.integer("retry_limit", default: 17) == 17)
        #expect(section.string("path", default: "/tmp") == "/tmp")
    }
}
