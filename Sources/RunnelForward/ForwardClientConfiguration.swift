import RunnelCore

/// How `ForwardClient` connects: the `runnel cat` command, tests and benchmarks use it.
public struct ForwardClientConfiguration: Sendable {
    public var endpoint: ForwardInputConfiguration.Endpoint
    /// TLS settings; nil for plain TCP.
    public var tls: ForwardTLSConfiguration?
    /// The server name checked against its certificate (and sent as SNI).
    public var tlsServerName: String?
    /// Wait for `{"ack": chunk}` after every message (out_forward's `require_ack_response`).
    public var requireAck: Bool
    /// `<security>` of the client: `self_hostname` and `shared_key`, with an optional user.
    public var selfHostname: String
    public var sharedKey: Secret?
    public var username: String?
    public var password: Secret?
    /// How long a connection may take to establish (out_forward's `connect_timeout`); nil: NIO's default.
    public var connectTimeout: Duration?

    public init(
        endpoint: ForwardInputConfiguration.Endpoint, tls: ForwardTLSConfiguration? = nil, tlsServerName: String? = nil,
        requireAck: Bool = false, selfHostname: String = "runnel-client", sharedKey: Secret? = nil,
        username: String? = nil, password: Secret? = nil,
        connectTimeout: Duration? = nil
    ) {
        self.endpoint = endpoint
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.requireAck = requireAck
        self.selfHostname = selfHostname
        self.sharedKey = sharedKey
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
    }
}
