import Foundation
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelSyslog

/// in_syslog with `<transport tls>`, the sender being the openssl command's TLS client.
@Suite struct SyslogTLSTests {
    /// Sends `text` to 127.0.0.1:`port` over TLS, checking the server certificate against `ca`.
    static func sendTLS(port: Int, ca: String, _ text: String) async throws {
        let arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", ca, "-verify_return_error", "-servername", "localhost"]
        let result = try await Program.run(TestCertificates.openssl!, arguments, stdin: text)
        guard result.status == 0 else { throw TestFailure("openssl s_client exited \(result.status)") }
    }

    @Test(.enabled(if: TestCertificates.openssl != nil, "the openssl command is not installed"))
    func octetCountedMessagesOverTLS() async throws {
        let directory = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(
            source(
                ["tag": "secure", "frame_type": "octet_count", "message_format": "rfc5424", "source_address_key": "from"],
                [ConfigElement("transport", "tls", ["cert_path": path("server.pem"), "private_key_path": path("server.key")])]))
        let first = "<86>1 2026-12-02T05:06:24.5Z web sshd 812 - - Accepted publickey"
        let second = "<38>1 2026-12-02T05:06:25Z web sshd 812 AUTH [meta a=\"1\"] session opened"
        try await withSocketInput(made, sink: sink) { port in
            try await Self.sendTLS(port: port, ca: path("ca.pem"), "\(first.utf8.count) \(first)\(second.utf8.count) \(second)")
            let events = try await sink.events(count: 2)
            #expect(events.map(\.tag) == ["secure.authpriv.info", "secure.auth.info"])
            #expect(
                events.map(\.record) == [
                    .record([
                        "host": .string("web"), "ident": .string("sshd"), "pid": .string("812"), "msgid": .string("-"),
                        "extradata": .string("-"), "message": .string("Accepted publickey"), "from": .string("127.0.0.1"),
                    ]),
                    .record([
                        "host": .string("web"), "ident": .string("sshd"), "pid": .string("812"), "msgid": .string("AUTH"),
                        "extradata": .string("[meta a=\"1\"]"), "message": .string("session opened"), "from": .string("127.0.0.1"),
                    ]),
                ])
            #expect(events.map(\.time) == [EventTime(seconds: 1_796_187_984, nanoseconds: 500_000_000), EventTime(seconds: 1_796_187_985)])
        }
    }

    /// rsyslog's TLS driver (rsyslog-gnutls), when installed.
    static let rsyslogTLS =
        FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")
        || FileManager.default.fileExists(atPath: "/usr/lib/rsyslog/lmnsd_gtls.so")

    /// A real rsyslogd forwarding over TLS (its gtls driver, checking the server's certificate
    /// and name against the CA, octet-counted RFC 5424), as a relay to a TLS syslog collector is
    /// set up; util-linux's logger feeds it over plain TCP on loopback.
    @Test(.enabled(if: TestCertificates.openssl != nil && rsyslogTLS, "needs openssl and rsyslog-gnutls"))
    func rsyslogForwardsOverTLS() async throws {
        let directory = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let sink = RecordingSink()
        let made = try SocketInputConfiguration.syslog(
            source(
                ["tag": "tls", "frame_type": "octet_count", "message_format": "rfc5424"],
                [ConfigElement("transport", "tls", ["cert_path": path("server.pem"), "private_key_path": path("server.key")])]))
        try await withSocketInput(made, sink: sink) { port in
            let rsyslogPort = try freePort()
            let rsyslogd = try await Rsyslogd(
                configuration: """
                    global(DefaultNetstreamDriverCAFile="\(path("ca.pem"))")
                    module(load="imtcp")
                    input(type="imtcp" address="127.0.0.1" port="\(rsyslogPort)")
                    if $programname == "secureapp" then {
                        action(type="omfwd" target="127.0.0.1" port="\(port)" protocol="tcp" TCP_Framing="octet-counted"
                               StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
                               StreamDriverPermittedPeers="localhost" template="RSYSLOG_SyslogProtocol23Format")
                    }

                    """)
            defer { rsyslogd.stop() }
            guard await waitForPort(rsyslogPort) else { throw TestFailure("rsyslogd does not listen on \(rsyslogPort)") }
            try await logger(port: rsyslogPort, ["--tcp", "--rfc3164", "--id=5151", "-t", "secureapp", "-p", "auth.warning"], "over tls")
            try await logger(port: rsyslogPort, ["--tcp", "--rfc3164", "--id=5152", "-t", "secureapp", "-p", "daemon.notice"], "and again")
            let events = try await sink.events(count: 2)
            #expect(events.map(\.tag) == ["tls.auth.warn", "tls.daemon.notice"])
            #expect(events.map { $0.record["message"] } == [.string(" over tls"), .string(" and again")])
            #expect(events.map { $0.record["pid"] } == [.string("5151"), .string("5152")])
        }
    }
}
