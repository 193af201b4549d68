import RunnelConfig
import RunnelCore
import RunnelForward
import RunnelParsers
import Testing

@testable import RunnelSyslog

@Suite struct SyslogInterpreterTests {
    static let now = EventTime(seconds: 1_700_000_000)
    static let peer = MessageSource(address: "192.0.2.7", hostname: "sender.example")

    static func interpret(
        _ parameters: KeyValuePairs<String, String>, parse: KeyValuePairs<String, String>? = nil, _ messages: [String]
    ) throws -> (events: [(tag: String, record: MessagePackValue)], problems: [MessageProblem]) {
        let children = parse.map { [ConfigElement("parse", "", $0)] } ?? []
        let (_, prototype) = try SocketInputConfiguration.syslog(ConfigElement("source", "", parameters, children: children))
        var interpreter = prototype
        var events = TaggedEvents()
        for message in messages { interpreter.interpret(Array(message.utf8), from: peer, now: now, into: &events) }
        let decoded = try events.streams.flatMap { stream in try stream.decodedEntries().map { (stream.tag, $0.record) } }
        return (decoded, events.problems)
    }

    @Test func rfc3164WithPriorityIsTaggedByFacilityAndSeverity() throws {
        let result = try Self.interpret(
            ["tag": "sys", "severity_key": "severity", "facility_key": "facility", "source_address_key": "from"],
            ["<132>Nov 14 22:13:20 host1 sshd[42]: Accepted key", "<0>Nov 14 22:13:21 host1 kernel: panic"])
        #expect(result.problems.isEmpty)
        #expect(result.events.map(\.tag) == ["sys.local0.warn", "sys.kern.emerg"])
        #expect(
            result.events[0].record
                == .record([
                    "host": .string("host1"), "ident": .string("sshd"), "pid": .string("42"), "message": .string("Accepted key"),
                    "severity": .string("warn"), "facility": .string("local0"), "from": .string("192.0.2.7"),
                ]))
    }

    @Test func rfc5424() throws {
        let result = try Self.interpret(
            ["tag": "sys", "message_format": "rfc5424", "source_hostname_key": "sender"],
            [#"<165>1 2026-12-02T04:24:56.918021+00:00 vm myapp 99 ID7 [ex@32473 a="1"] hello there"#])
        #expect(result.problems.isEmpty)
        #expect(result.events.map(\.tag) == ["sys.local4.notice"])
        #expect(
            result.events.first?.record
                == .record([
                    "host": .string("vm"), "ident": .string("myapp"), "pid": .string("99"), "msgid": .string("ID7"),
                    "extradata": .string(#"[ex@32473 a="1"]"#), "message": .string("hello there"), "sender": .string("sender.example"),
                ]))
    }

    @Test(arguments: ["Nov 14 22:13:20 host1 sshd: no priority", "<abc>Nov 14 22:13:20 host1 sshd: letters", "<>x", "<1234>Nov 14 22:13:20 h i: m"])
    func aMalformedPriorityIsReportedAndTheNextMessageKept(_ bad: String) throws {
        let result = try Self.interpret(["tag": "sys"], [bad, "<14>Nov 14 22:13:20 host1 app: fine"])
        #expect(result.problems.count == 1)
        #expect(result.events.map(\.tag) == ["sys.user.info"])
        #expect(result.events.first?.record["message"] == .string("fine"))
    }

    @Test func aPriorityPastLocal7IsInvalid() throws {
        let result = try Self.interpret(["tag": "sys", "emit_unmatched_lines": "true"], ["<192>Nov 14 22:13:20 host1 app: too high"])
        #expect(result.problems == [.invalidPriority("<192>Nov 14 22:13:20 host1 app: too high")])
        #expect(result.events.map(\.tag) == ["sys.unmatched"])
        #expect(result.events.first?.record == .record(["unmatched_line": .string("<192>Nov 14 22:13:20 host1 app: too high")]))
    }

    @Test func unmatchedLinesAreEmittedWhenAsked() throws {
        let result = try Self.interpret(
            ["tag": "sys", "emit_unmatched_lines": "true", "source_address_key": "from"], parse: ["@type": "syslog", "message_format": "rfc5424"],
            ["<13>Nov 14 22:13:20 host1 app: not 5424"])
        #expect(result.problems == [.patternNotMatched("<13>Nov 14 22:13:20 host1 app: not 5424")])
        #expect(result.events.map(\.tag) == ["sys.unmatched"])
        #expect(
            result.events.first?.record == .record(["unmatched_line": .string("<13>Nov 14 22:13:20 host1 app: not 5424"), "from": .string("192.0.2.7")]))
        #expect(result.problems.first?.description.contains("pattern not matched") == true)
    }

    @Test func anotherParserGetsTheMessageAfterItsPriority() throws {
        let result = try Self.interpret(["tag": "sys"], parse: ["@type": "none"], ["<30>free text here"])
        #expect(result.problems.isEmpty)
        #expect(result.events.map(\.tag) == ["sys.daemon.info"])
        #expect(result.events.first?.record == .record(["message": .string("free text here")]))
    }

    @Test func withPriorityFalseTakesThePriorityOffFirst() throws {
        let result = try Self.interpret(
            ["tag": "sys"], parse: ["@type": "syslog", "with_priority": "false"], ["<13>Nov 14 22:13:20 host1 app: plain"])
        #expect(result.events.map(\.tag) == ["sys.user.notice"])
        #expect(result.events.first?.record["message"] == .string("plain"))
    }

    @Test func configurationDefaultsAndErrors() throws {
        let (udp, _) = try SocketInputConfiguration.syslog(ConfigElement("source", "", ["tag": "t"]))
        #expect(udp.port == 5140 && udp.bind == "0.0.0.0" && udp.datagramLimit == 2048 && udp.isDatagram)
        let (tcp, _) = try SocketInputConfiguration.syslog(
            ConfigElement("source", "", ["tag": "t", "frame_type": "octet_count"], children: [ConfigElement("transport", "tcp", [:])]))
        #expect(!tcp.isDatagram && tcp.framing == .octetCounting)
        let (old, _) = try SocketInputConfiguration.syslog(ConfigElement("source", "", ["tag": "t", "protocol_type": "tcp"]))
        #expect(!old.isDatagram && old.framing == .delimiter([0x0A]))
        #expect(throws: ConfigError.self) { try SocketInputConfiguration.syslog(ConfigElement("source", "", ["port": "5140"])) }
        #expect(throws: ConfigError.self) {
            try SocketInputConfiguration.syslog(ConfigElement("source", "", ["tag": "t", "source_hostname_key": "h", "resolve_hostname": "false"]))
        }
        #expect(throws: ConfigError.self) {
            try SocketInputConfiguration.syslog(ConfigElement("source", "", ["tag": "t", "send_keepalive_packet": "true"]))
        }
        let (tcpInput, _) = try SocketInputConfiguration.tcp(
            ConfigElement("source", "", ["tag": "t"], children: [ConfigElement("parse", "", ["@type": "none"])]))
        #expect(tcpInput.port == 5170 && tcpInput.streamMessageLimit == SocketInputConfiguration.defaultStreamMessageLimit)
        #expect(throws: ConfigError.self) { try SocketInputConfiguration.tcp(ConfigElement("source", "", ["tag": "t"])) }
        let (udpInput, _) = try SocketInputConfiguration.udp(
            ConfigElement("source", "", ["tag": "t", "receive_buffer_size": "1m"], children: [ConfigElement("parse", "", ["@type": "none"])]))
        #expect(udpInput.port == 5160 && udpInput.datagramLimit == 4096 && udpInput.removeNewline && udpInput.receiveBufferSize == 1_048_576)
    }

    @Test func tcpSecurityAndExtractSectionsAreChecked() throws {
        func tcp(_ children: [ConfigElement]) throws -> (SocketInputConfiguration, LineInterpreter) {
            try SocketInputConfiguration.tcp(
                ConfigElement("source", "", ["tag": "t"], children: [ConfigElement("parse", "", ["@type": "none"])] + children))
        }
        func security(_ clients: [(String, String)]...) -> ConfigElement {
            ConfigElement(
                "security", "", [:],
                children: clients.map { pairs in
                    ConfigElement(
                        name: "client", parameters: pairs.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) }, children: [])
                })
        }
        let (allowing, _) = try tcp([security([("host", "127.0.0.1")], [("network", "192.168.0.0/16")])])
        #expect(allowing.allowedClients == [IPNetwork("127.0.0.1")!, IPNetwork("192.168.0.0/16")!])
        #expect(try tcp([]).0.allowedClients == nil)
        for bad in [
            security(), security([]), security([("host", "127.0.0.1"), ("network", "10.0.0.0/8")]),
            security([("network", "10.0.0.0/33")]), security([("host", "no-such-host.invalid")]),
        ] {
            #expect(throws: ConfigError.self) { try tcp([bad]) }
        }
        #expect(try tcp([ConfigElement("extract", "", ["tag_key": "k"])]).1.extract == LineInterpreter.Extract(tagKey: "k"))
        #expect(try tcp([ConfigElement("extract", "", ["time_key": "t", "time_type": "unixtime"])]).1.extract == nil)
        #expect(throws: ConfigError.self) { try tcp([ConfigElement("extract", "", ["tag_key": "k", "time_type": "epoch"])]) }
    }
}
