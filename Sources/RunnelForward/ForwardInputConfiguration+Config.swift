import NIOCore
import RunnelConfig
import RunnelCore

/// Reading `<source> @type forward` and `<source> @type unix`.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `port` | integer | 24224 | same |
/// | `bind` | string | 0.0.0.0 | same |
/// | `path` (unix) | string | /var/run/fluent/fluent.sock | in_unix `path` |
/// | `tag` | string | none | same: replaces every tag |
/// | `add_tag_prefix` | string | none | same |
/// | `linger_timeout` | integer seconds | 0 | same |
/// | `chunk_size_warn_limit` | size | none | same |
/// | `chunk_size_limit` | size | none (64 MiB internal bound) | same, but a larger message closes the connection |
/// | `skip_invalid_event` | bool | true | same (Fluentd v1.19; false before): an invalid entry is dropped, logged and counted, the rest of the message is kept |
/// | `source_address_key` | string | none | same |
/// | `source_hostname_key` | string | none | same |
/// | `resolve_hostname` | bool | true if `source_hostname_key` | same |
/// | `deny_keepalive` | bool | false | same |
/// | `send_keepalive_packet` | bool | false | same |
/// | `backlog` | integer | 1024 | same (Fluentd: OS default) |
/// | `frame_timeout` | time | 60 | Runnel only: a started message must complete within it |
/// | `<security>` | `self_hostname` (required), `shared_key` (required), `user_auth` false, `allow_anonymous_source` true, `<user>` `username` `password`, `<client>` `host` / `network` / `shared_key` / `users` | | same |
/// | `<transport tls>` | `cert_path`, `private_key_path`, `private_key_passphrase`, `ca_path`, `client_cert_auth` false, `min_version` (or `version`) TLSv1_2 | | same |
extension ForwardInputConfiguration {
    public enum Kind: Sendable { case forward, unix }

    public init(element: ConfigElement, kind: Kind = .forward) throws {
        switch kind {
        case .forward:
            let port = try element.integer("port", default: 24224)
            guard (0...65535).contains(port) else { throw element.rejected("port", "must be between 0 and 65535") }
            self.init(endpoint: .tcp(host: element.string("bind", default: "0.0.0.0"), port: port))
        case .unix:
            self.init(endpoint: .unix(path: element.string("path", default: "/var/run/fluent/fluent.sock")), udpHeartbeat: false)
        }
        tag = element.string("tag")
        addTagPrefix = element.string("add_tag_prefix")
        lingerTimeout = try element.integer("linger_timeout", default: 0)
        chunkSizeWarnLimit = try element.size("chunk_size_warn_limit")
        chunkSizeLimit = try element.size("chunk_size_limit")
        if let limit = chunkSizeLimit, limit < 16 { throw element.rejected("chunk_size_limit", "must be at least 16 bytes") }
        skipInvalidEvent = try element.bool("skip_invalid_event", default: true)
        sourceAddressKey = element.string("source_address_key")
        sourceHostnameKey = element.string("source_hostname_key")
        resolveHostname = try element.bool("resolve_hostname") ?? (sourceHostnameKey != nil)
        denyKeepalive = try element.bool("deny_keepalive", default: false)
        sendKeepalivePacket = try element.bool("send_keepalive_packet", default: false)
        backlog = try element.integer("backlog", default: 1024)
        frameTimeout = try element.time("frame_timeout", default: 60)
        if let section = element.element(named: "security") {
            security = try ForwardSecurity(element: section)
        }
        if let transport = element.element(named: "transport"), transport.argument == "tls" {
            tls = try ForwardTLSConfiguration(element: transport)
            _ = try tls?.makeServerContext()
        }
    }
}

extension ForwardSecurity {
    init(element: ConfigElement) throws {
        let hostname = try element.requiredString("self_hostname")
        guard let key = element.secret("shared_key") else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): 'shared_key' parameter is required")
        }
        var users: [User] = []
        for user in element.elements(named: "user") {
            let name = try user.requiredString("username")
            guard let password = user.secret("password") else {
                throw ConfigError(.missingParameter, at: user.location, "\(user.title): 'password' parameter is required")
            }
            users.append(User(username: name, password: password))
        }
        var clients: [Client] = []
        for client in element.elements(named: "client") {
            let host = client.string("host")
            var network: IPNetwork?
            if let text = client.string("network") {
                guard let parsed = IPNetwork(text) else {
                    throw client.invalid("network", text, expected: "an address or CIDR network such as 192.168.0.0/16")
                }
                network = parsed
            }
            guard (host == nil) != (network == nil) else {
                throw ConfigError(.invalidValue, at: client.location, "\(client.title): set exactly one of 'host' and 'network'")
            }
            var addresses: [String] = []
            if let host, IPNetwork.parseAddress(host) == nil,
                let resolved = try? SocketAddress.makeAddressResolvingHost(host, port: 0), let ip = resolved.ipAddress
            {
                addresses.append(ip)
            }
            clients.append(
                Client(
                    host: host, hostAddresses: addresses, network: network, sharedKey: client.secret("shared_key"),
                    users: try client.array("users", default: [])))
        }
        self.init(
            selfHostname: hostname, sharedKey: key, userAuth: try element.bool("user_auth", default: false),
            allowAnonymousSource: try element.bool("allow_anonymous_source", default: true), users: users, clients: clients)
    }
}

extension ForwardTLSConfiguration {
    /// Reads a `<transport tls>` section (in_forward, and the TCP inputs of RunnelSyslog).
    public init(element: ConfigElement) throws {
        self.init(
            certPath: element.string("cert_path"), privateKeyPath: element.string("private_key_path"),
            privateKeyPassphrase: element.secret("private_key_passphrase"), caPath: element.string("ca_path"),
            clientCertAuth: try element.bool("client_cert_auth", default: false))
        if element.has("min_version") {
            minVersion = try element.enumeration("min_version", default: Version.tls1_2)
        } else {
            minVersion = try element.enumeration("version", default: Version.tls1_2)
        }
        guard certPath != nil, privateKeyPath != nil else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): cert_path and private_key_path are required")
        }
    }
}
