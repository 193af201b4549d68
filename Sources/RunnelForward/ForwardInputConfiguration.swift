import RunnelCore

/// Everything a `<source> @type forward` (or `@type unix`) is set up with; Fluentd in_forward's
/// names and defaults. Read from the configuration in `ForwardInputConfiguration+Config.swift`.
public struct ForwardInputConfiguration: Sendable {
    /// Where the input listens.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    /// When `chunk_size_limit` is not set: a connection never holds more than this.
    public static let defaultChunkSizeLimit = 64 * 1024 * 1024

    public var endpoint: Endpoint
    /// `tag`: replaces the tag of every event.
    public var tag: String?
    /// `add_tag_prefix`: `prefix.` is put in front of every tag.
    public var addTagPrefix: String?
    /// `linger_timeout` (seconds): SO_LINGER on close.
    public var lingerTimeout: Int
    /// `chunk_size_warn_limit`: a larger message is accepted with a warning.
    public var chunkSizeWarnLimit: Int?
    /// `chunk_size_limit`: a larger message closes its connection.
    public var chunkSizeLimit: Int?
    /// `skip_invalid_event`: drop entries that are not `[time, map]` instead of rejecting the message.
    public var skipInvalidEvent: Bool
    /// `source_address_key`: record key that receives the client's IP address.
    public var sourceAddressKey: String?
    /// `source_hostname_key`: record key that receives the client's host name.
    public var sourceHostnameKey: String?
    /// `resolve_hostname`: look up the client's name (defaults to true when `source_hostname_key` is set).
    public var resolveHostname: Bool
    /// `deny_keepalive`: close each connection after its first message (and ack).
    public var denyKeepalive: Bool
    /// `send_keepalive_packet`: SO_KEEPALIVE on accepted connections.
    public var sendKeepalivePacket: Bool
    /// `backlog`: listen queue length.
    public var backlog: Int
    /// `frame_timeout` (Runnel): how long one message may take to arrive once it has started.
    public var frameTimeout: Double
    /// `<security>`: shared-key / user handshake.
    public var security: ForwardSecurity?
    /// `<transport tls>`.
    public var tls: ForwardTLSConfiguration?
    /// Answer out_forward's UDP heartbeats on the same port (TCP endpoints only).
    public var udpHeartbeat: Bool

    public init(
        endpoint: Endpoint = .tcp(host: "0.0.0.0", port: 24224), tag: String? = nil, addTagPrefix: String? = nil,
        lingerTimeout: Int = 0, chunkSizeWarnLimit: Int? = nil, chunkSizeLimit: Int? = nil, skipInvalidEvent: Bool = true,
        sourceAddressKey: String? = nil, sourceHostnameKey: String? = nil, resolveHostname: Bool? = nil,
        denyKeepalive: Bool = false, sendKeepalivePacket: Bool = false, backlog: Int = 1024, frameTimeout: Double = 60,
        security: ForwardSecurity? = nil, tls: ForwardTLSConfiguration? = nil, udpHeartbeat: Bool = true
    ) {
        self.endpoint = endpoint
        self.tag = tag
        self.addTagPrefix = addTagPrefix
        self.lingerTimeout = lingerTimeout
        self.chunkSizeWarnLimit = chunkSizeWarnLimit
        self.chunkSizeLimit = chunkSizeLimit
        self.skipInvalidEvent = skipInvalidEvent
        self.sourceAddressKey = sourceAddressKey
        self.sourceHostnameKey = sourceHostnameKey
        self.resolveHostname = resolveHostname ?? (sourceHostnameKey != nil)
        self.denyKeepalive = denyKeepalive
        self.sendKeepalivePacket = sendKeepalivePacket
        self.backlog = backlog
        self.frameTimeout = frameTimeout
        self.security = security
        self.tls = tls
        self.udpHeartbeat = udpHeartbeat
    }

    /// The limit actually enforced.
    public var effectiveChunkSizeLimit: Int { chunkSizeLimit ?? Self.defaultChunkSizeLimit }

    public var decodingOptions: ForwardDecodingOptions {
        ForwardDecodingOptions(chunkSizeLimit: effectiveChunkSizeLimit, skipInvalidEvents: skipInvalidEvent)
    }
}
