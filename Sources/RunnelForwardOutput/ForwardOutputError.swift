import RunnelForward

/// Why out_forward could not deliver a chunk to one server. Every case is retryable: the chunk
/// stays in the buffer and goes to the next server, or to the same one after the retry wait.
public enum ForwardOutputError: Error, Sendable, CustomStringConvertible {
    case unresolvable(host: String, reason: String)
    /// Connecting, the handshake and sending took longer than `send_timeout`.
    case sendTimeout(seconds: Double)
    /// The ack did not come within `ack_response_timeout`.
    case ackTimeout(seconds: Double)
    case noServerAvailable

    public var description: String {
        switch self {
        case .unresolvable(let host, let reason): return "cannot resolve '\(host)' (\(reason)); check the <server> host"
        case .sendTimeout(let seconds): return "sending took longer than send_timeout (\(seconds) s)"
        case .ackTimeout(let seconds):
            return "no ack within ack_response_timeout (\(seconds) s); the chunk will be sent again (possibly duplicated)"
        case .noServerAvailable: return "no <server> is available; waiting for one to recover"
        }
    }

    /// The stable code for logs and metrics.
    public var code: String {
        switch self {
        case .unresolvable: return "unresolvable"
        case .sendTimeout: return "send_timeout"
        case .ackTimeout: return "ack_timeout"
        case .noServerAvailable: return "no_nodes_available"
        }
    }
}
