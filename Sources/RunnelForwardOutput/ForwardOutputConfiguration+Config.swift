import RunnelConfig
import RunnelCore
import RunnelForward

/// Reads `<match> @type forward`, with out_forward's names and defaults
/// (lib/fluent/plugin/out_forward.rb, Fluentd v1):
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `<server>` | section, one or more | required | same: `host` (required), `port` 24224, `name` (`host:port`), `weight` 60, `standby` false, `shared_key`, `username`, `password` |
/// | `transport` | `tcp`, `tls` | tcp | same |
/// | `send_timeout` | time | 60 | same: bounds connecting, the handshake and writing one chunk |
/// | `connect_timeout` | time | none (NIO's 10 s) | same |
/// | `heartbeat_type` | `transport`, `tcp`, `udp`, `none` | transport | same |
/// | `heartbeat_interval` | time | 1 | same |
/// | `phi_failure_detector` | bool | true | same |
/// | `phi_threshold` | integer | 16 | same |
/// | `hard_timeout` | time | 60 | same |
/// | `recover_wait` | time | 10 | same: a server is back after `recover_wait / heartbeat_interval` heartbeats (with `heartbeat_type none`: after `recover_wait`) |
/// | `require_ack_response` | bool | false | same: a chunk leaves the buffer only once acknowledged |
/// | `ack_response_timeout` | time | 190 | same |
/// | `expire_dns_cache` | time | none (cache for ever) | same: 0 resolves on every connection |
/// | `dns_round_robin` | bool | false | same: needs `heartbeat_type transport` or `none` |
/// | `keepalive` | bool | false | same, one kept connection per server (`ForwardKeptConnection`) |
/// | `keepalive_timeout` | time | none | same |
/// | `compress` | `text`, `gzip` | text | same: gzip sends CompressedPackedForward |
/// | `ignore_network_errors_at_startup`, `verify_connection_at_startup` | bool | false | same |
/// | `<security>` | `self_hostname` (required), `shared_key` (required) | none | same |
/// | `tls_verify_hostname` | bool | true | same |
/// | `tls_insecure_mode` | bool | false | same |
/// | `tls_cert_path` | array of paths | none (system roots) | same: the CA certificates to trust; one path |
/// | `tls_client_cert_path`, `tls_client_private_key_path`, `tls_client_private_key_passphrase` | | none | same |
/// | `tls_version` | `TLSv1_1`, `TLSv1_2`, `TLSv1_3` | TLSv1_2 | same (as the minimum version) |
/// | `tls_allow_self_signed_cert` | bool | false | accepted; trust a self-signed server through `tls_cert_path` |
/// | `<buffer>` | section | memory, chunk key `tag` | same |
/// | `<secondary>` | section | none | same |
extension ForwardOutputConfiguration {
    public init(from element: ConfigElement) throws {
        let sections = element.elements(named: "server")
        guard !sections.isEmpty else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): at least one <server> is required")
        }
        self.init(servers: try sections.map(Server.init(from:)))
        if servers.allSatisfy(\.standby) {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): every <server> is standby; at least one must not be")
        }
        if servers.allSatisfy({ $0.weight == 0 }) {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): every <server> has weight 0; nothing could be sent")
        }
        transport = try element.enumeration("transport", default: Transport.tcp)
        sendTimeout = try element.positiveDuration("send_timeout", default: 60)
        connectTimeout = try element.time("connect_timeout").map { .seconds(try element.positive("connect_timeout", $0)) }
        heartbeatType = try element.enumeration("heartbeat_type", default: HeartbeatType.transport)
        heartbeatInterval = try element.positiveDuration("heartbeat_interval", default: 1)
        phiFailureDetector = try element.bool("phi_failure_detector", default: true)
        phiThreshold = try element.integer("phi_threshold", default: 16)
        guard phiThreshold > 0 else { throw element.rejected("phi_threshold", "must be greater than 0") }
        hardTimeout = try element.positiveDuration("hard_timeout", default: 60)
        recoverWait = .seconds(try element.time("recover_wait", default: 10))
        guard recoverWait >= .zero else { throw element.rejected("recover_wait", "must not be negative") }
        requireAckResponse = try element.bool("require_ack_response", default: false)
        ackResponseTimeout = try element.positiveDuration("ack_response_timeout", default: 190)
        expireDNSCache = try element.time("expire_dns_cache").map { .seconds($0) }
        if let expiry = expireDNSCache, expiry < .zero { throw element.rejected("expire_dns_cache", "must not be negative") }
        dnsRoundRobin = try element.bool("dns_round_robin", default: false)
        if dnsRoundRobin, heartbeatType == .tcp || heartbeatType == .udp {
            throw element.rejected("dns_round_robin", "needs heartbeat_type transport or none, not \(heartbeatType.rawValue)")
        }
        keepalive = try element.bool("keepalive", default: false)
        keepaliveTimeout = try element.time("keepalive_timeout").map { .seconds(try element.positive("keepalive_timeout", $0)) }
        compress = try element.enumeration("compress", default: Compression.text)
        ignoreNetworkErrorsAtStartup = try element.bool("ignore_network_errors_at_startup", default: false)
        verifyConnectionAtStartup = try element.bool("verify_connection_at_startup", default: false)
        if let section = element.element(named: "security") {
            security = Security(
                selfHostname: try section.requiredString("self_hostname"),
                sharedKey: try section.secret("shared_key") ?? { throw section.rejected("shared_key", "is required in <security>") }())
        } else if let server = sections.first(where: { $0.has("shared_key") }) {
            throw server.rejected("shared_key", "needs a <security> section with self_hostname")
        }
        tlsVerifyHostname = try element.bool("tls_verify_hostname", default: true)
        let tlsKeys = [
            "tls_insecure_mode", "tls_cert_path", "tls_client_cert_path", "tls_client_private_key_path",
            "tls_client_private_key_passphrase", "tls_version", "tls_allow_self_signed_cert",
        ]
        guard transport == .tls else {
            if let key = tlsKeys.first(where: element.has) { throw element.rejected(key, "needs transport tls") }
            return
        }
        var tls = ForwardTLSConfiguration(
            certPath: element.string("tls_client_cert_path"), privateKeyPath: element.string("tls_client_private_key_path"),
            privateKeyPassphrase: element.secret("tls_client_private_key_passphrase"),
            minVersion: try element.enumeration("tls_version", default: ForwardTLSConfiguration.Version.tls1_2),
            insecure: try element.bool("tls_insecure_mode", default: false))
        _ = try element.bool("tls_allow_self_signed_cert", default: false)
        if let paths = try element.array("tls_cert_path") {
            guard paths.count <= 1 else { throw element.rejected("tls_cert_path", "takes one CA file (put every CA in it)") }
            tls.caPath = paths.first
        }
        if (tls.certPath == nil) != (tls.privateKeyPath == nil) {
            throw element.rejected("tls_client_cert_path", "and tls_client_private_key_path go together")
        }
        do {
            _ = try tls.makeClientContext()
        } catch {
            throw element.rejected("tls_cert_path", "\(error)")
        }
        self.tls = tls
    }
}

extension ForwardOutputConfiguration.Server {
    init(from element: ConfigElement) throws {
        let host = try element.requiredString("host")
        guard !host.isEmpty else { throw element.rejected("host", "must not be empty") }
        let port = try element.integer("port", default: 24224)
        guard (1...65535).contains(port) else { throw element.rejected("port", "must be between 1 and 65535, not \(port)") }
        let weight = try element.integer("weight", default: 60)
        guard weight >= 0 else { throw element.rejected("weight", "must not be negative") }
        self.init(
            host: host, port: port, name: element.string("name"), weight: weight, standby: try element.bool("standby", default: false))
        sharedKey = element.secret("shared_key")
        username = element.string("username", default: "")
        password = element.secret("password") ?? Secret("")
    }
}

extension ConfigElement {
    fileprivate func positive(_ key: String, _ seconds: Double) throws -> Double {
        guard seconds > 0 else { throw rejected(key, "must be greater than 0") }
        return seconds
    }

    fileprivate func positiveDuration(_ key: String, default defaultValue: Double) throws -> Duration {
        .seconds(try positive(key, try time(key, default: defaultValue)))
    }
}
