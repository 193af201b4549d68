/// Why events were not taken or could not be routed.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    /// A buffer is full and its `overflow_action` is `throw_exception`: the sender must retry later.
    case bufferOverflow(output: String)
    /// The output is shutting down and takes no more events.
    case shuttingDown(output: String)
    /// A record could not be processed (bad MessagePack from an input, a filter error).
    case invalidEvents(String)

    public var description: String {
        switch self {
        case .bufferOverflow(let output): return "buffer of \(output) is full (overflow_action throw_exception)"
        case .shuttingDown(let output): return "\(output) is shutting down"
        case .invalidEvents(let reason): return "invalid events: \(reason)"
        }
    }

    /// True when the same events may be sent again later (the input should not ack now, the client retries).
    public var isRetryable: Bool {
        switch self {
        case .bufferOverflow, .shuttingDown: return true
        case .invalidEvents: return false
        }
    }
}
