import Foundation
import NIOCore
import RunnelConfig
import RunnelForward
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelSyslog

/// in_syslog, in_tcp and in_udp on 127.0.0.1 fed by util-linux's logger and a real rsyslogd.
@Suite(.serialized) struct SyslogInputTests {
    /// `time` lies between `start` and `end` (whole seconds, as RFC 3164 times are).
    static func expectTime(_ time: EventTime, from start: Date, to end: Date) {
        let seconds = Double(time.seconds)
        #expect(seconds >= start.timeIntervalSince1970.rounded(.down) - 1 && seconds <= end.timeIntervalSince1970 + 1, "event time \(seconds)")
    }

    @Test func loggerOverUDPInRFC3164() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(
            source(["tag": "syslog", "severity_key": "severity", "facility_key": "facility", "source_address_key": "from"]))
        let start = Date()
        try await withSocketInput(made, sink: sink) { port in
            try await logger(port: port, ["--udp", "--rfc3164", "--id=4242", "-t", "myapp", "-p", "local0.warning"], "hello over udp")
            let events = try await sink.events(count: 1)
            #expect(events.map(\.tag) == ["syslog.local0.warn"])
            #expect(
                events.first?.record
                    == .record([
                        "host": .string(hostName(short: true)), "ident": .string("myapp"), "pid": .string("4242"),
                        "message": .string("hello over udp"), "severity": .string("warn"), "facility": .string("local0"),
                        "from": .string("127.0.0.1"),
                    ]))
            if let time = events.first?.time { Self.expectTime(time, from: start, to: Date()) }
        }
    }

    @Test func loggerOverTCPWithOctetCountingInRFC5424() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(
            source(["tag": "syslog", "frame_type": "octet_count", "message_format": "rfc5424"], [ConfigElement("transport", "tcp", [:])]))
        let start = Date()
        try await withSocketInput(made, sink: sink) { port in
            for text in ["first message", "second message"] {
                try await logger(
                    port: port, ["--tcp", "--octet-count", "--rfc5424=notq", "--msgid", "ID7", "--id=4242", "-t", "myapp", "-p", "local4.notice"],
                    text)
            }
            // Each logger run is its own connection: the two may be read in either order.
            let events = try await sink.events(count: 2).sorted { ($0.record["message"]?.stringValue ?? "") < ($1.record["message"]?.stringValue ?? "") }
            #expect(events.map(\.tag) == ["syslog.local4.notice", "syslog.local4.notice"])
            #expect(
                events.map(\.record)
                    == ["first message", "second message"].map { text in
                        .record([
                            "host": .string(hostName(short: false)), "ident": .string("myapp"), "pid": .string("4242"), "msgid": .string("ID7"),
                            "extradata": .string("-"), "message": .string(text),
                        ])
                    })
            for event in events { Self.expectTime(event.time, from: start, to: Date()) }
        }
    }

    @Test func loggerOverTCPWithNewlinesInRFC3164() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(source(["tag": "sys", "protocol_type": "tcp"]))
        try await withSocketInput(made, sink: sink) { port in
            try await logger(port: port, ["--tcp", "--rfc3164", "-t", "cron", "-p", "cron.debug"], "job ran")
            let events = try await sink.events(count: 1)
            #expect(events.map(\.tag) == ["sys.cron.debug"])
            #expect(events.first?.record == .record(["host": .string(hostName(short: true)), "ident": .string("cron"), "message": .string("job ran")]))
        }
    }

    @Test func aLineThatDoesNotParseIsReportedAndTheConnectionStaysUp() async throws {
        let sink = RecordingSink()
        let logs = LogCapture()
        let made = try SocketInputConfiguration.syslog(source(["tag": "sys"], [ConfigElement("transport", "tcp", [:])]))
        try await withSocketInput(made, sink: sink, logs: logs) { port in
            try await sendTCP(
                port: port,
                [
                    Array("not a syslog line\n<13>Nov 14 22:13:20 h1 app: kept\n<9999>Nov 14 22:13:20 h1 app: bad priority\n<13>Nov 14".utf8),
                    Array(" 22:13:21 h1 app: split across writes\n".utf8),
                ])
            let events = try await sink.events(count: 2)
            #expect(events.map(\.record["message"]) == [.string("kept"), .string("split across writes")])
            #expect(events.map(\.tag) == ["sys.user.notice", "sys.user.notice"])
            #expect(logs.count(.warning, containing: "syslog input: pattern not matched: \"not a syslog line\"") == 1)
            #expect(logs.count(.warning, containing: "syslog input: invalid syslog message: no priority") == 1)
        }
    }

    @Test func rsyslogdForwardsToTheSyslogInput() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(
            source(["tag": "relay", "frame_type": "octet_count", "message_format": "rfc5424"], [ConfigElement("transport", "tcp", [:])]))
        try await withSocketInput(made, sink: sink) { port in
            let rsyslogPort = try freePort()
            let rsyslogd = try await Rsyslogd(
                configuration: """
                    module(load="imtcp")
                    input(type="imtcp" address="127.0.0.1" port="\(rsyslogPort)")
                    if $programname == "myapp" then {
                        action(type="omfwd" target="127.0.0.1" port="\(port)" protocol="tcp" TCP_Framing="octet-counted"
                               template="RSYSLOG_SyslogProtocol23Format")
                    }

                    """)
            defer { rsyslogd.stop() }
            guard await waitForPort(rsyslogPort) else { throw TestFailure("rsyslogd does not listen on \(rsyslogPort)") }
            try await logger(port: rsyslogPort, ["--tcp", "--rfc3164", "--id=4242", "-t", "myapp", "-p", "local3.err"], "through rsyslog")
            try await logger(port: rsyslogPort, ["--tcp", "--rfc3164", "--id=4243", "-t", "myapp", "-p", "mail.info"], "second one")
            let events = try await sink.events(count: 2)
            #expect(events.map(\.tag) == ["relay.local3.err", "relay.mail.info"])
            // rsyslog's msg property keeps the space after "myapp[4242]:", and Fluentd keeps it
            // too; the newline its template ends each message with is chomped.
            #expect(
                events.map(\.record)
                    == [("4242", " through rsyslog"), ("4243", " second one")].map { pid, text in
                        .record([
                            "host": .string(hostName(short: true)), "ident": .string("myapp"), "pid": .string(pid), "msgid": .string("-"),
                            "extradata": .string("-"), "message": .string(text),
                        ])
                    })
        }
    }

    @Test func tcpInputParsesLinesAndSkipsBadAndLongOnes() async throws {
        let sink = RecordingSink()
        let logs = LogCapture()
        let made = try SocketInputConfiguration.tcp(
            source(
                ["tag": "app.json", "source_hostname_key": "host", "source_address_key": "address", "message_length_limit": "64"],
                [ConfigElement("parse", "", ["@type": "json"])]))
        let long = "{\"padding\":\"" + String(repeating: "z", count: 100) + "\"}"
        try await withSocketInput(made, sink: sink, logs: logs) { port in
            try await sendTCP(
                port: port, [Array("{\"a\":1}\n{not json\n\(long)\n{\"b\":".utf8), Array("2}\n".utf8)])
            let events = try await sink.events(count: 2)
            #expect(events.map(\.tag) == ["app.json", "app.json"])
            // The name 127.0.0.1 resolves to here (localhost, or the address itself without one).
            let host = await HostnameResolver.resolve(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
            #expect(
                events.map(\.record) == [
                    .record(["a": .uint(1), "address": .string("127.0.0.1"), "host": .string(host)]),
                    .record(["b": .uint(2), "address": .string("127.0.0.1"), "host": .string(host)]),
                ])
            #expect(logs.count(.warning, containing: "tcp input: pattern not matched: \"{not json\"") == 1)
            #expect(logs.count(.warning, containing: "message of 114 bytes is longer than message_length_limit 64") == 1)
        }
    }

    /// in_tcp's `<extract>`: the tag from a field, which leaves the record unless `keep_tag_key`.
    @Test(arguments: [false, true]) func tcpInputTakesTheTagFromAField(keep: Bool) async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.tcp(
            source(
                ["tag": "app.default"],
                [ConfigElement("parse", "", ["@type": "json"]), ConfigElement("extract", "", ["tag_key": "route", "keep_tag_key": "\(keep)"])]))
        try await withSocketInput(made, sink: sink) { port in
            try await sendTCP(port: port, [Array("{\"route\":\"app.billing\",\"n\":1}\n{\"n\":2}\n{\"route\":7,\"n\":3}\n".utf8)])
            let events = try await sink.events(count: 3)
            #expect(events.map(\.tag) == ["app.billing", "app.default", "7"])
            #expect(
                events.map(\.record)
                    == (keep
                        ? [.record(["route": "app.billing", "n": 1]), .record(["n": 2]), .record(["route": 7, "n": 3])]
                        : [.record(["n": 1]), .record(["n": 2]), .record(["n": 3])]))
        }
    }

    /// in_udp's `<extract>` too.
    @Test func udpInputTakesTheTagFromAField() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.udp(
            source(["tag": "udp.default"], [ConfigElement("parse", "", ["@type": "json"]), ConfigElement("extract", "", ["tag_key": "t"])]))
        try await withSocketInput(made, sink: sink) { port in
            try sendUDP(port: port, Array("{\"t\":\"udp.routed\",\"v\":\"a\"}".utf8))
            let events = try await sink.events(count: 1)
            #expect(events.map(\.tag) == ["udp.routed"])
            #expect(events.first?.record == .record(["v": "a"]))
        }
    }

    /// in_tcp's `<security>`: a connection from an address no `<client>` covers is closed with a
    /// warning and emits nothing; one from an allowed address is read.
    @Test func tcpInputLetsInOnlyTheClientsItLists() async throws {
        for (clients, allowed) in [([("network", "10.0.0.0/8")], false), ([("network", "10.0.0.0/8"), ("host", "127.0.0.1")], true)] {
            let sink = RecordingSink()
            let logs = LogCapture()
            let security = ConfigElement("security", "", [:], children: clients.map { key, value in ConfigElement("client", "", [key: value]) })
            let made = try SocketInputConfiguration.tcp(
                source(["tag": "guarded"], [ConfigElement("parse", "", ["@type": "none"]), security]))
            try await withSocketInput(made, sink: sink, logs: logs) { port in
                try? await sendTCP(port: port, [Array("hello\n".utf8)])
                if allowed {
                    #expect(try await sink.events(count: 1).map(\.record) == [.record(["message": "hello"])])
                } else {
                    let denied = try await polled(timeout: 30, { logs.count(.warning, containing: "anonymous client '127.0.0.1' denied") }, until: { $0 > 0 })
                    #expect(denied == 1)
                    #expect(sink.events.isEmpty)
                }
            }
        }
    }

    @Test func udpInputTakesEachDatagram() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.udp(
            source(["tag": "udp.raw", "source_address_key": "from"], [ConfigElement("parse", "", ["@type": "none"])]))
        try await withSocketInput(made, sink: sink) { port in
            try await logger(port: port, ["--udp", "--rfc5424=notime,notq,nohost", "--id=4242", "-t", "myapp", "-p", "user.notice"], "hello udp")
            let events = try await sink.events(count: 1)
            #expect(events.map(\.tag) == ["udp.raw"])
            #expect(events.first?.record == .record(["message": .string("<13>1 - - myapp 4242 - - hello udp"), "from": .string("127.0.0.1")]))
        }
    }

    @Test func udpInputCutsDatagramsAtTheLimit() async throws {
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.udp(
            source(["tag": "udp.raw", "message_length_limit": "16"], [ConfigElement("parse", "", ["@type": "none"])]))
        try await withSocketInput(made, sink: sink) { port in
            try await logger(port: port, ["--udp", "--rfc5424=notime,notq,nohost", "-t", "myapp", "-p", "user.notice"], "a long message")
            let events = try await sink.events(count: 1)
            #expect(events.first?.record == .record(["message": .string("<13>1 - - myapp ")]))
        }
    }
}
