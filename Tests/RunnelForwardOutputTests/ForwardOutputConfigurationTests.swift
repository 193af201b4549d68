import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelForwardOutput

/// out_forward's names and defaults (lib/fluent/plugin/out_forward.rb), and errors that name the parameter.
@Suite struct ForwardOutputConfigurationTests {
    static func match(_ body: String) throws -> ConfigElement {
        let root = try ConfigParser.parse(text: "<match **>\n  @type forward\n\(body)\n</match>\n", file: "test.conf", environment: [:])
        return try #require(root.elements(named: "match").first)
    }

    @Test func defaultsAreOutForwards() throws {
        let configuration = try ForwardOutputConfiguration(from: Self.match("<server>\n host agg.example\n</server>"))
        #expect(configuration.servers == [ForwardOutputConfiguration.Server(host: "agg.example", port: 24224, weight: 60, standby: false)])
        #expect(configuration.servers[0].name == "agg.example:24224")
        #expect(configuration.transport == .tcp && configuration.heartbeatType == .transport)
        #expect(configuration.sendTimeout == .seconds(60) && configuration.connectTimeout == nil)
        #expect(configuration.heartbeatInterval == .seconds(1) && configuration.phiFailureDetector && configuration.phiThreshold == 16)
        #expect(configuration.hardTimeout == .seconds(60) && configuration.recoverWait == .seconds(10))
        #expect(!configuration.requireAckResponse && configuration.ackResponseTimeout == .seconds(190))
        #expect(configuration.expireDNSCache == nil && !configuration.dnsRoundRobin)
        #expect(!configuration.keepalive && configuration.keepaliveTimeout == nil)
        #expect(configuration.compress == .text && configuration.mode == .packedForward)
        #expect(configuration.security == nil && configuration.tls == nil && configuration.tlsVerifyHostname)
    }

    @Test func everyParameterIsRead() throws {
        let configuration = try ForwardOutputConfiguration(
            from: Self.match(
                """
                send_timeout 5s
                connect_timeout 2s
                heartbeat_type udp
                heartbeat_interval 0.5
                phi_failure_detector false
                phi_threshold 8
                hard_timeout 30s
                recover_wait 3s
                require_ack_response true
                ack_response_timeout 20s
                expire_dns_cache 0
                keepalive true
                keepalive_timeout 15s
                compress gzip
                <security>
                  self_hostname agent-1
                  shared_key secret
                </security>
                <server>
                  name primary
                  host 10.0.0.1
                  port 24225
                  weight 20
                  username alice
                  password wonder
                </server>
                <server>
                  host 10.0.0.2
                  standby true
                  shared_key other
                </server>
                """))
        #expect(configuration.sendTimeout == .seconds(5) && configuration.connectTimeout == .seconds(2))
        #expect(configuration.heartbeatType == .udp && configuration.heartbeatInterval == .milliseconds(500))
        #expect(!configuration.phiFailureDetector && configuration.phiThreshold == 8)
        #expect(configuration.hardTimeout == .seconds(30) && configuration.recoverWait == .seconds(3))
        #expect(configuration.requireAckResponse && configuration.ackResponseTimeout == .seconds(20))
        #expect(configuration.expireDNSCache == .zero)
        #expect(configuration.keepalive && configuration.keepaliveTimeout == .seconds(15))
        #expect(configuration.mode == .compressedPackedForward)
        #expect(configuration.security == .init(selfHostname: "agent-1", sharedKey: Secret("secret")))
        let primary = configuration.servers[0]
        #expect(primary.name == "primary" && primary.port == 24225 && primary.weight == 20 && !primary.standby)
        #expect(primary.username == "alice" && primary.password == Secret("wonder") && primary.sharedKey == nil)
        #expect(configuration.servers[1].standby && configuration.servers[1].sharedKey == Secret("other"))
        let client = configuration.clientConfiguration(for: configuration.servers[1], address: "10.0.0.2")
        #expect(client.sharedKey == Secret("other") && client.selfHostname == "agent-1" && client.requireAck)
        #expect(configuration.clientConfiguration(for: primary, address: "10.0.0.1").sharedKey == Secret("secret"))
    }

    /// Each wrong configuration fails naming what is wrong.
    @Test(arguments: [
        ("", "<server> is required"),
        ("<server>\n port 24224\n</server>", "'host' parameter is required"),
        ("<server>\n host a\n port 0\n</server>", "port"),
        ("<server>\n host a\n port 70000\n</server>", "port"),
        ("<server>\n host a\n port abc\n</server>", "port"),
        ("<server>\n host a\n weight -1\n</server>", "weight"),
        ("<server>\n host a\n standby true\n</server>", "standby"),
        ("heartbeat_type carrier_pigeon\n<server>\n host a\n</server>", "heartbeat_type"),
        ("compress zstd\n<server>\n host a\n</server>", "compress"),
        ("phi_threshold 0\n<server>\n host a\n</server>", "phi_threshold"),
        ("send_timeout 0\n<server>\n host a\n</server>", "send_timeout"),
        ("heartbeat_type udp\ndns_round_robin true\n<server>\n host a\n</server>", "dns_round_robin"),
        ("tls_insecure_mode true\n<server>\n host a\n</server>", "tls_insecure_mode"),
        ("<security>\n self_hostname x\n</security>\n<server>\n host a\n</server>", "shared_key"),
        ("<security>\n shared_key x\n</security>\n<server>\n host a\n</server>", "self_hostname"),
        ("<server>\n host a\n shared_key k\n</server>", "shared_key"),
        ("transport tls\ntls_cert_path /nonexistent/ca.pem\n<server>\n host a\n</server>", "tls_cert_path"),
    ])
    func badConfigurationNamesTheParameter(body: String, named: String) throws {
        let element = try Self.match(body)
        do {
            _ = try ForwardOutputConfiguration(from: element)
            Issue.record("accepted: \(body)")
        } catch let error as ConfigError {
            #expect("\(error)".contains(named), "\(error)")
        }
    }
}
