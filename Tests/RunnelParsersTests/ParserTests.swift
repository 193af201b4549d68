import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelParsers

struct ParserTests {
    @Test func noneKeepsTheLine() throws {
        let r = try run(["@type": "none"], ["hello world", ""])
        #expect(r.events.map(\.record) == [.record(["message": "hello world"]), .record(["message": ""])])
        #expect(r.events.allSatisfy { $0.time == fixedNow })
        let custom = try run(["@type": "none", "message_key": "log"], ["x"])
        #expect(custom.events.first?.record == .record(["log": "x"]))
    }

    struct JSONCase: Sendable, CustomStringConvertible {
        var line: String
        var record: MessagePackValue?
        var time: EventTime = fixedNow
        var description: String { line }
    }

    static let jsonCases: [JSONCase] = [
        JSONCase(
            line: #"{"a":1,"b":"x","c":[true,false,null],"d":{"e":-2.5}}"#,
            record: .record(["a": 1, "b": "x", "c": [true, false, nil], "d": .record(["e": -2.5])])),
        JSONCase(
            line: #"{"msg":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n","time":"2023-11-14T22:13:20Z"}"#,
            record: .record(["msg": "café 😀 \"q\" \\ \n"]), time: EventTime(seconds: 1_700_000_000)),
        JSONCase(
            line: #"  { "time": 1700000001 , "n": 18446744073709551615 }  "#,
            record: .record(["n": .uint(UInt64.max)]), time: EventTime(seconds: 1_700_000_001)),
        JSONCase(line: #"{}"#, record: .map([])),
        JSONCase(line: #"{"a":1"#, record: nil),
        JSONCase(line: #"{"a":1} trailing"#, record: nil),
        JSONCase(line: #"[1,2]"#, record: nil),
        JSONCase(line: "plain text", record: nil),
        JSONCase(line: #"{"time":"yesterday"}"#, record: nil),
        JSONCase(line: "", record: nil),
    ]

    @Test(arguments: jsonCases)
    func json(_ c: JSONCase) throws {
        let r = try run(["@type": "json", "utc": "true"], [c.line])
        if let record = c.record {
            #expect(r.outcomes == [.emitted])
            #expect(r.events.first?.record == record)
            #expect(r.events.first?.time == c.time)
        } else {
            #expect(r.outcomes == [.unmatched])
            #expect(r.events.isEmpty)
        }
    }

    @Test func jsonLongStringsAndManyKeys() throws {
        let long = String(repeating: "x", count: 70_000)
        let keys = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let r = try run(["@type": "json"], ["{\"s\":\"\(long)\",\(keys)}"])
        guard case .map(let pairs)? = r.events.first?.record else { Issue.record("no record"); return }
        #expect(pairs.count == 21)
        #expect(pairs[0].value == .string(long))
    }

    @Test func jsonKeepTimeKey() throws {
        let r = try run(["@type": "json", "keep_time_key": "true", "time_key": "ts", "time_type": "unixtime"], [#"{"ts":"1700000000","a":1}"#])
        #expect(r.events.first?.record == .record(["ts": "1700000000", "a": 1]))
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
    }

    @Test func regexpWithTypesAndNulls() throws {
        let r = try run(
            [
                "@type": "regexp", "expression": #"/^(?<time>[^ ]+) (?<level>\w+) (?<code>\d+) (?<user>\S+) (?<msg>.*)$/"#,
                "time_format": "%Y-%m-%dT%H:%M:%S%z", "types": "code:integer", "null_value_pattern": "-",
            ], ["2023-11-14T22:13:20Z INFO 200 - hello there", "garbage"])
        #expect(r.outcomes == [.emitted, .unmatched])
        #expect(r.events.first?.record == .record(["level": "INFO", "code": 200, "user": nil, "msg": "hello there"]))
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
        // parser.rb string_like_null: `match?`, unanchored, and the time is read first.
        let loose = try run(
            [
                "@type": "regexp", "expression": #"/^(?<time>\S+) (?<a>\S+) (?<b>\S+)$/"#, "null_value_pattern": "NULL",
                "time_format": "%Y-%m-%d",
            ], ["2023-11-14 xNULLx ok"])
        #expect(loose.events.first?.record == .record(["a": nil, "b": "ok"]))
    }

    @Test func regexpBadTimeIsUnmatched() throws {
        let r = try run(["@type": "regexp", "expression": #"^(?<time>\S+) (?<m>.*)$"#, "time_format": "%Y"], ["abc def"])
        #expect(r.outcomes == [.unmatched])
    }

    @Test func regexpInvalidExpressionIsAConfigurationError() {
        #expect(throws: ConfigError.self) { try run(["@type": "regexp", "expression": "(?<a>"], []) }
        // parser_regexp.rb: "No named captures in 'expression' parameter".
        let none = #expect(throws: ConfigError.self) { try run(["@type": "regexp", "expression": "/^a (b)$/"], []) }
        #expect(none?.message.contains("named capture") == true)
        let unknown = #expect(throws: ConfigError.self) { try run(["@type": "nope"], []) }
        #expect(unknown?.kind == .unknownPluginType)
        #expect(unknown?.message.contains("unknown parser type 'nope'") == true)
    }

    @Test func ltsv() throws {
        let r = try run(["@type": "ltsv", "time_type": "unixtime"], ["time:1700000000\thost:a\tmsg:x:y", "noseparator"])
        #expect(r.events.first?.record == .record(["host": "a", "msg": "x:y"]))
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
        #expect(r.events.last?.record == .map([]))
    }

    @Test func csvAndTsv() throws {
        let csv = try run(
            ["@type": "csv", "keys": "a,b,c", "types": "c:integer"],
            [#"1,"x, ""y""",3"#, "only", #""open,2,3"#])
        #expect(csv.outcomes == [.emitted, .emitted, .unmatched])
        #expect(csv.events[0].record == .record(["a": "1", "b": "x, \"y\"", "c": 3]))
        #expect(csv.events[1].record == .record(["a": "only", "b": nil, "c": nil]))
        let big = try run(
            ["@type": "csv", "keys": "a,b,c", "types": "a:integer,b:integer,c:integer"],
            ["4200000000000000000000,-7.9,1e400"])
        #expect(big.events.first?.record == .record(["a": 0, "b": -7, "c": 0]))
        let tsv = try run(["@type": "tsv", "keys": "a,b"], ["1\t2\t3"])
        #expect(tsv.events.first?.record == .record(["a": "1", "b": "2"]))
        #expect(throws: ConfigError.self) { try run(["@type": "csv"], []) }
    }

    @Test func apache2() throws {
        let line = #"192.168.0.1 - - [14/Nov/2023:22:13:20 +0000] "GET /index.html HTTP/1.1" 200 777 "-" "Mozilla/5.0""#
        let r = try run(["@type": "apache2"], [line, "bad line"])
        #expect(r.outcomes == [.emitted, .unmatched])
        #expect(
            r.events.first?.record
                == .record([
                    "host": "192.168.0.1", "user": nil, "method": "GET", "path": "/index.html", "code": 200, "size": 777,
                    "referer": nil, "agent": "Mozilla/5.0",
                ]))
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
    }

    @Test func nginx() throws {
        let line = #"127.0.0.1 192.168.0.1 - [14/Nov/2023:22:13:20 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0" "10.0.0.1""#
        let r = try run(["@type": "nginx"], [line])
        #expect(
            r.events.first?.record
                == .record([
                    "remote": "127.0.0.1", "host": "192.168.0.1", "user": "-", "method": "GET", "path": "/", "code": "200",
                    // parser_nginx.rb (v1.16+): `(?:\s+\"?(?<http_x_forwarded_for>[^\"]*)\"?)?`, quotes left out.
                    "size": "612", "referer": "-", "agent": "curl/8.0", "http_x_forwarded_for": "10.0.0.1",
                ]))
        #expect(r.events.first?.time == EventTime(seconds: 1_700_000_000))
    }

    @Test func syslog3164And5424() throws {
        let r3164 = try run(["@type": "syslog", "utc": "true"], ["Nov 14 22:13:20 host1 sshd[42]: Accepted key"])
        #expect(r3164.events.first?.record == .record(["host": "host1", "ident": "sshd", "pid": "42", "message": "Accepted key"]))
        #expect(r3164.events.first?.time == EventTime(seconds: 1_700_000_000))

        let auto = try run(
            ["@type": "syslog", "message_format": "auto"],
            [
                "<34>Nov 14 22:13:20 host1 su: 'su root' failed",
                "<165>1 2023-11-14T22:13:20.003Z host2 app 99 ID47 [ex@1 a=\"b\"] An application event",
                "no priority here",
            ])
        #expect(auto.outcomes == [.emitted, .emitted, .unmatched])
        // parser_syslog.rb leaves out a group that did not match (no `[pid]` here).
        #expect(auto.events[0].record == .record(["pri": 34, "host": "host1", "ident": "su", "message": "'su root' failed"]))
        #expect(
            auto.events[1].record
                == .record([
                    "pri": 165, "host": "host2", "ident": "app", "pid": "99", "msgid": "ID47", "extradata": "[ex@1 a=\"b\"]",
                    "message": "An application event",
                ]))
        #expect(auto.events[1].time == EventTime(seconds: 1_700_000_000, nanoseconds: 3_000_000))

        // An RFC 5424 message ending in a newline inside its frame (rsyslog's templates) loses it.
        let newline = try run(["@type": "syslog", "message_format": "rfc5424"], ["2023-11-14T22:13:20Z h a - - - line\n"])
        #expect(newline.events.first?.record["message"] == "line")
    }

    @Test func multiline() throws {
        let r = try run(
            [
                "@type": "multiline", "format_firstline": #"/^\d{4}-/"#,
                "format1": #"/^(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<level>\w+) (?<message>.*)/"#,
                "time_format": "%Y-%m-%d %H:%M:%S", "utc": "true",
            ], ["orphan", "2023-11-14 22:13:20 ERROR boom", "  at a()", "  at b()", "2023-11-14 22:13:21 INFO next"], flush: true)
        #expect(r.outcomes == [.unmatched, .held, .held, .held, .emitted])
        #expect(
            r.events.map(\.record) == [
                .record(["level": "ERROR", "message": "boom\n  at a()\n  at b()"]),
                .record(["level": "INFO", "message": "next"]),
            ])
        #expect(r.events.map(\.time.seconds) == [1_700_000_000, 1_700_000_001])
    }
}
