import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelForward

@Suite struct ForwardInputConfigurationTests {
    @Test func defaultsAreFluentds() throws {
        let configuration = try ForwardInputConfiguration(element: ConfigElement("source", "", ["@type": "forward"]))
        #expect(configuration.endpoint == .tcp(host: "0.0.0.0", port: 24224))
        #expect(configuration.lingerTimeout == 0)
        #expect(configuration.chunkSizeLimit == nil)
        #expect(configuration.effectiveChunkSizeLimit == 64 * 1024 * 1024)
        // skip_invalid_event: true since Fluentd v1.19 (lib/fluent/plugin/in_forward.rb).
        #expect(configuration.skipInvalidEvent && !configuration.denyKeepalive && !configuration.sendKeepalivePacket)
        #expect(!configuration.resolveHostname)
        #expect(configuration.security == nil && configuration.tls == nil)
    }

    @Test func everyParameterIsRead() throws {
        let user = ConfigElement("user", "", ["username": "alice", "password": "pw"])
        let client = ConfigElement("client", "", ["network": "10.0.0.0/8", "shared_key": "net-key", "users": "alice"])
        let security = ConfigElement(
            "security", "", ["self_hostname": "agg", "shared_key": "k", "user_auth": "true", "allow_anonymous_source": "false"],
            children: [user, client])
        let element = ConfigElement(
            "source", "",
            [
                "@type": "forward", "port": "24225", "bind": "127.0.0.1", "tag": "t", "add_tag_prefix": "p",
                "linger_timeout": "3", "chunk_size_warn_limit": "1m", "chunk_size_limit": "8m", "skip_invalid_event": "true",
                "source_address_key": "ip", "source_hostname_key": "host", "deny_keepalive": "yes",
                "send_keepalive_packet": "true", "backlog": "50", "frame_timeout": "30s",
            ],
            children: [security])
        let configuration = try ForwardInputConfiguration(element: element)
        #expect(configuration.endpoint == .tcp(host: "127.0.0.1", port: 24225))
        #expect(configuration.tag == "t" && configuration.addTagPrefix == "p")
        #expect(configuration.lingerTimeout == 3)
        #expect(configuration.chunkSizeWarnLimit == 1 << 20 && configuration.chunkSizeLimit == 8 << 20)
        #expect(configuration.skipInvalidEvent && configuration.denyKeepalive && configuration.sendKeepalivePacket)
        #expect(configuration.sourceAddressKey == "ip" && configuration.sourceHostnameKey == "host" && configuration.resolveHostname)
        #expect(configuration.backlog == 50 && configuration.frameTimeout == 30)
        #expect(configuration.security?.selfHostname == "agg")
        #expect(configuration.security?.userAuth == true && configuration.security?.allowAnonymousSource == false)
        #expect(configuration.security?.users.map(\.username) == ["alice"])
        #expect(configuration.security?.clients.first?.users == ["alice"])
        #expect(configuration.security?.clients.first?.matches(address: "10.9.8.7") == true)
        #expect(element.unusedParameters.map(\.key) == [])
    }

    @Test func unixUsesPath() throws {
        let configuration = try ForwardInputConfiguration(
            element: ConfigElement("source", "", ["@type": "unix", "path": "/tmp/x.sock"]), kind: .unix)
        #expect(configuration.endpoint == .unix(path: "/tmp/x.sock"))
    }

    @Test(arguments: [
        ("port", "70000"), ("chunk_size_limit", "lots"), ("skip_invalid_event", "maybe"),
    ])
    func badValuesNameTheParameter(key: String, value: String) {
        let element = ConfigElement(name: "source", parameters: [ConfigParameter(key: key, value: value, location: .synthesized)])
        #expect {
            _ = try ForwardInputConfiguration(element: element)
        } throws: { error in
            "\(error)".contains(key)
        }
    }

    @Test func securityNeedsItsKeys() {
        let element = ConfigElement("source", "", ["@type": "forward"], children: [ConfigElement("security", "", ["self_hostname": "a"])])
        #expect(throws: ConfigError.self) { _ = try ForwardInputConfiguration(element: element) }
    }
}
