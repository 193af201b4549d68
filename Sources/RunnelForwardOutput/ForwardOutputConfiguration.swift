import RunnelCore
import RunnelForward

/// `<match> @type forward` (Fluentd's out_forward): the servers to send to, how their health is
/// watched, and how each chunk is sent. Read from the configuration tree by
/// `ForwardOutputConfiguration+Config.swift`, whose table lists every key.
public struct ForwardOutputConfiguration: Sendable {
    /// `transport`: plain TCP or TLS.
    public enum Transport: String, Sendable, CaseIterable {
        case tcp, tls
    }

    /// `heartbeat_type`: how servers are probed between chunks.
    public enum HeartbeatType: String, Sendable, CaseIterable {
        /// A connection over the configured transport (TCP or TLS), closed at once.
        case transport
        case tcp
        /// A one-byte datagram to the server's port, which in_forward answers with one byte.
        case udp
        /// No probes: a server is taken out by send failures only.
        case none
    }

    /// `compress`: `gzip` sends CompressedPackedForward.
    public enum Compression: String, Sendable, CaseIterable {
        case text, gzip
    }

    /// One `<server>` section.
    public struct Server: Sendable, Equatable {
        public var host: String
        public var port: Int = 24224
        /// `name`; `host:port` when not given.
        public var name: String
        public var weight: Int = 60
        public var standby = false
        /// `shared_key` of the server; the `<security>` key when not given.
        public var sharedKey: Secret?
        public var username = ""
        public var password = Secret("")

        public init(host: String, port: Int = 24224, name: String? = nil, weight: Int = 60, standby: Bool = false) {
            self.host = host
            self.port = port
            self.name = name ?? "\(host):\(port)"
            self.weight = weight
            self.standby = standby
        }
    }

    /// `<security>`: the shared-key handshake.
    public struct Security: Sendable, Equatable {
        public var selfHostname: String
        public var sharedKey: Secret

        public init(selfHostname: String, sharedKey: Secret) {
            self.selfHostname = selfHostname
            self.sharedKey = sharedKey
        }
    }

    public var servers: [Server]
    public var transport: Transport = .tcp
    public var sendTimeout: Duration = .seconds(60)
    public var connectTimeout: Duration?
    public var heartbeatType: HeartbeatType = .transport
    public var heartbeatInterval: Duration = .seconds(1)
    public var phiFailureDetector = true
    public var phiThreshold = 16
    public var hardTimeout: Duration = .seconds(60)
    public var recoverWait: Duration = .seconds(10)
    public var requireAckResponse = false
    public var ackResponseTimeout: Duration = .seconds(190)
    /// `expire_dns_cache`: nil caches addresses for ever, zero resolves on every connection.
    public var expireDNSCache: Duration?
    public var dnsRoundRobin = false
    public var keepalive = false
    /// `keepalive_timeout`: nil keeps an idle connection open for ever.
    public var keepaliveTimeout: Duration?
    public var compress: Compression = .text
    public var security: Security?
    /// `tls_*` parameters when `transport tls`.
    public var tls: ForwardTLSConfiguration?
    public var tlsVerifyHostname = true
    public var ignoreNetworkErrorsAtStartup = false
    public var verifyConnectionAtStartup = false

    public init(servers: [Server]) {
        self.servers = servers
    }

    /// The Forward mode every chunk is sent in: the chunk's bytes go out as they are buffered.
    public var mode: ForwardMessage.Mode { compress == .gzip ? .compressedPackedForward : .packedForward }

    /// What `ForwardClient` needs to reach `server` at `address` (an IP or the host name).
    func clientConfiguration(for server: Server, address: String) -> ForwardClientConfiguration {
        var tls = self.tls
        tls?.verifyHostname = tlsVerifyHostname
        let key = server.sharedKey ?? security?.sharedKey
        return ForwardClientConfiguration(
            endpoint: .tcp(host: address, port: server.port), tls: tls, tlsServerName: tls == nil ? nil : server.host,
            requireAck: requireAckResponse, selfHostname: security?.selfHostname ?? "runnel-client",
            sharedKey: security == nil ? nil : key, username: server.username, password: server.password,
            connectTimeout: connectTimeout)
    }
}
