import RunnelForward

/// How in_tcp, in_udp and in_syslog listen: the socket side they share. What they make of a
/// message is their `MessageInterpreter`. Read from the configuration in
/// `SocketInputConfiguration+Config.swift`.
public struct SocketInputConfiguration: Sendable {
    public enum Transport: Sendable {
        case udp
        case tcp
        case tls(ForwardTLSConfiguration)
    }

    /// A TCP message is never held past this when no limit is configured (Fluentd has none).
    public static let defaultStreamMessageLimit = 8 * 1024 * 1024

    /// The plugin's `@type`, for the log.
    public var name: String
    public var bind: String
    public var port: Int
    public var transport: Transport
    /// TCP framing: a delimiter, or octet counting.
    public var framing: MessageFramer.Framing
    /// TCP: the longest message kept; a longer one is dropped with a warning.
    public var streamMessageLimit: Int
    /// UDP: the bytes read of a datagram (`message_length_limit`); the rest of a longer one is cut.
    public var datagramLimit: Int
    /// UDP: strip a trailing newline (in_udp `remove_newline`; in_syslog always does).
    public var removeNewline: Bool
    /// UDP: SO_RCVBUF (`receive_buffer_size`).
    public var receiveBufferSize: Int?
    /// Look up the sender's name for `source_hostname_key`.
    public var resolveHostname: Bool
    /// Whether records get the sender's name: only then is it looked up.
    public var needsHostname: Bool
    /// TCP: SO_KEEPALIVE on accepted connections (`send_keepalive_packet`).
    public var sendKeepalivePacket: Bool
    public var backlog: Int
    /// TCP: the clients let in (in_tcp's `<security>` `<client>`s); nil lets everyone in.
    public var allowedClients: [IPNetwork]?

    public init(
        name: String, bind: String = "0.0.0.0", port: Int, transport: Transport, framing: MessageFramer.Framing = .delimiter([0x0A]),
        streamMessageLimit: Int = SocketInputConfiguration.defaultStreamMessageLimit, datagramLimit: Int = 4096,
        removeNewline: Bool = true, receiveBufferSize: Int? = nil, resolveHostname: Bool = false, needsHostname: Bool = false,
        sendKeepalivePacket: Bool = false, backlog: Int = 1024
    ) {
        self.name = name
        self.bind = bind
        self.port = port
        self.transport = transport
        self.framing = framing
        self.streamMessageLimit = streamMessageLimit
        self.datagramLimit = datagramLimit
        self.removeNewline = removeNewline
        self.receiveBufferSize = receiveBufferSize
        self.resolveHostname = resolveHostname
        self.needsHostname = needsHostname
        self.sendKeepalivePacket = sendKeepalivePacket
        self.backlog = backlog
    }

    var isDatagram: Bool {
        if case .udp = transport { return true }
        return false
    }
}
