import RunnelCore

/// Why a Forward connection, message or handshake failed. Every case closes the connection it
/// happened on and nothing else: other connections and buffered events are untouched.
public struct ForwardError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The bytes are not MessagePack, or not the shape of a Forward message.
        case malformedFrame(String)
        /// A frame (or a value inside it) declares more bytes than `chunk_size_limit` allows.
        case frameTooLarge(size: Int, limit: Int)
        /// The first element of a message is not a string tag.
        case invalidTag(found: String)
        /// An entry is not `[time, record]` with a map record (and `skip_invalid_event` is off).
        case invalidEntries(String)
        /// The `size` option does not match the number of entries.
        case sizeMismatch(declared: Int, actual: Int)
        /// `compressed` names something other than `gzip`.
        case unsupportedCompression(String)
        /// The gzip payload is corrupt or truncated.
        case decompressionFailed(String)
        /// The inflated payload would exceed `chunk_size_limit` (a gzip bomb, or a too large chunk).
        case decompressedTooLarge(limit: Int)
        /// The shared-key / user handshake failed; the reason is what the PONG told the client.
        case authenticationFailed(reason: String)
        /// A frame started but did not complete within the frame timeout (a slow or stuck client).
        case frameTimeout(seconds: Double)
        /// The server answered something the client did not expect (client side).
        case unexpectedResponse(String)
        /// The ack did not carry the chunk id that was sent (client side).
        case ackMismatch(expected: String, received: String)
        /// The connection closed before the expected answer arrived (client side).
        case connectionClosed
        /// A configuration value that cannot work (TLS files, addresses).
        case configuration(String)
    }

    public var code: Code

    public init(_ code: Code) { self.code = code }

    public static func malformed(_ error: MessagePackError) -> ForwardError {
        ForwardError(.malformedFrame(error.description))
    }

    /// Every Forward error ends the connection it happened on.
    public var closesConnection: Bool { true }

    /// A short, stable reason for logs and metrics.
    public var reason: String {
        switch code {
        case .malformedFrame: return "malformed_frame"
        case .frameTooLarge: return "frame_too_large"
        case .invalidTag: return "invalid_tag"
        case .invalidEntries: return "invalid_entries"
        case .sizeMismatch: return "size_mismatch"
        case .unsupportedCompression: return "unsupported_compression"
        case .decompressionFailed: return "decompression_failed"
        case .decompressedTooLarge: return "decompressed_too_large"
        case .authenticationFailed: return "authentication_failed"
        case .frameTimeout: return "frame_timeout"
        case .unexpectedResponse: return "unexpected_response"
        case .ackMismatch: return "ack_mismatch"
        case .connectionClosed: return "connection_closed"
        case .configuration: return "configuration"
        }
    }

    public var description: String {
        switch code {
        case .malformedFrame(let detail):
            return "malformed Forward message (\(detail)); the client does not speak Forward protocol v1"
        case .frameTooLarge(let size, let limit):
            return "Forward message of at least \(size) bytes is over chunk_size_limit (\(limit)); raise chunk_size_limit or send smaller chunks"
        case .invalidTag(let found):
            return "Forward message tag is a \(found), not a string"
        case .invalidEntries(let detail):
            return "invalid event entries (\(detail)); set skip_invalid_event true to drop them instead"
        case .sizeMismatch(let declared, let actual):
            return "option size says \(declared) entries but the message holds \(actual)"
        case .unsupportedCompression(let name):
            return "compressed '\(name)' is not supported (only gzip)"
        case .decompressionFailed(let detail): return "gzip payload cannot be inflated: \(detail)"
        case .decompressedTooLarge(let limit):
            return "gzip payload inflates beyond chunk_size_limit (\(limit)); raise chunk_size_limit if this is legitimate"
        case .authenticationFailed(let reason): return "Forward authentication failed: \(reason)"
        case .frameTimeout(let seconds): return "a Forward message did not complete within \(seconds) s"
        case .unexpectedResponse(let detail): return "unexpected answer from the Forward server: \(detail)"
        case .ackMismatch(let expected, let received):
            return "ack '\(received)' does not match the chunk '\(expected)' that was sent"
        case .connectionClosed: return "the Forward connection closed before the answer arrived"
        case .configuration(let detail): return detail
        }
    }
}
