import RunnelCore

/// One decoded top-level Forward protocol message (Forward Protocol Specification v1).
public enum ForwardFrame: Sendable, Equatable {
    /// Events in any of the four modes, already in `EventStream` entry form.
    case events(ForwardMessage)
    /// `["PING", hostname, shared_key_salt, digest, username, password_digest]`, the client's
    /// half of the shared-key handshake.
    case ping(ForwardPing)
}

/// Events of one Message, Forward, PackedForward or CompressedPackedForward message.
public struct ForwardMessage: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        case message, forward, packedForward, compressedPackedForward
    }

    public var mode: Mode
    public var tag: String
    /// Concatenated `[time, record]` entries (see `EventStream.entries`).
    public var entries: [UInt8]
    public var count: Int
    /// The `chunk` option: when present, the client waits for `{"ack": chunk}`.
    public var chunk: String?
    /// Entries dropped because they were invalid (only with `skip_invalid_event`).
    public var skipped: Int
    /// Bytes the message took on the wire.
    public var frameSize: Int

    public init(
        mode: Mode, tag: String, entries: [UInt8], count: Int, chunk: String? = nil, skipped: Int = 0,
        frameSize: Int = 0
    ) {
        self.mode = mode
        self.tag = tag
        self.entries = entries
        self.count = count
        self.chunk = chunk
        self.skipped = skipped
        self.frameSize = frameSize
    }
}

/// The client's PING (spec: "PING").
public struct ForwardPing: Sendable, Equatable {
    public var hostname: String
    public var sharedKeySalt: [UInt8]
    /// Hex SHA-512 of shared_key_salt + hostname + nonce + shared_key.
    public var sharedKeyDigest: String
    public var username: String
    /// Hex SHA-512 of auth_salt + username + password, or empty.
    public var passwordDigest: String

    public init(hostname: String, sharedKeySalt: [UInt8], sharedKeyDigest: String, username: String, passwordDigest: String) {
        self.hostname = hostname
        self.sharedKeySalt = sharedKeySalt
        self.sharedKeyDigest = sharedKeyDigest
        self.username = username
        self.passwordDigest = passwordDigest
    }
}

/// How frames are turned into messages.
public struct ForwardDecodingOptions: Sendable {
    /// `chunk_size_limit`: the largest frame, and the largest inflated CompressedPackedForward payload.
    public var chunkSizeLimit: Int
    /// `skip_invalid_event`: drop entries that are not `[time, record]` instead of rejecting the message.
    public var skipInvalidEvents: Bool
    /// The time given to events sent with time nil or 0 (Fluentd uses the time of arrival).
    public var now: @Sendable () -> EventTime

    public init(chunkSizeLimit: Int, skipInvalidEvents: Bool = false, now: @escaping @Sendable () -> EventTime = { .now() }) {
        self.chunkSizeLimit = chunkSizeLimit
        self.skipInvalidEvents = skipInvalidEvents
        self.now = now
    }
}
