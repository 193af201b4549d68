import RunnelCore

/// The server side of the Forward shared-key handshake, as a value: each input returns what
/// the connection must do (spec: "Handshake Messages"; Fluentd in_forward's check_ping and
/// generate_pong). Without `<security>` the connection is established from the start.
///
/// ```
/// server: HELO [nonce, auth salt, keepalive]  ->  client: PING  ->  server: PONG (then events)
/// ```
public struct ForwardHandshakeStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Nothing to send.
        case none
        /// Write these bytes (HELO, or a successful PONG) and keep going.
        case send([UInt8])
        /// Events may be accepted.
        case acceptEvents
        /// Write these bytes (a PONG false), then close: the reason is for the log.
        case sendAndClose([UInt8], reason: String)
        /// Close without answering.
        case close(reason: String)
    }

    enum State: Sendable {
        case initial
        case awaitingPing(nonce: [UInt8], authSalt: [UInt8])
        case established
        case failed
    }

    public let security: ForwardSecurity?
    public let peerAddress: String
    /// Advertised in HELO as `keepalive` (false with `deny_keepalive`).
    public let keepalive: Bool
    private(set) var state: State = .initial

    public init(security: ForwardSecurity?, peerAddress: String, keepalive: Bool = true) {
        self.security = security
        self.peerAddress = peerAddress
        self.keepalive = keepalive
    }

    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// The connection is open: with security, send HELO. `nonce` and `authSalt` are fresh random bytes.
    public mutating func connectionOpened(nonce: [UInt8], authSalt: [UInt8]) -> Action {
        guard case .initial = state else { return .none }
        guard let security else {
            state = .established
            return .none
        }
        state = .awaitingPing(nonce: nonce, authSalt: authSalt)
        var writer = MessagePackWriter(capacity: 96)
        writer.writeArrayHeader(count: 2)
        writer.write("HELO")
        writer.writeMapHeader(count: 3)
        writer.write("nonce")
        writer.writeBinary(nonce)
        writer.write("auth")
        if security.userAuth { writer.writeBinary(authSalt) } else { writer.write("") }
        writer.write("keepalive")
        writer.write(keepalive)
        return .send(writer.bytes)
    }

    public mutating func pingReceived(_ ping: ForwardPing) -> Action {
        guard case .awaitingPing(let nonce, let authSalt) = state, let security else {
            state = .failed
            return .close(reason: "PING outside of a handshake")
        }
        let client = security.clients.first { $0.matches(address: peerAddress) }
        if client == nil && !security.allowAnonymousSource {
            return fail("anonymous source host '\(peerAddress)' denied")
        }
        let sharedKey = Array((client?.sharedKey ?? security.sharedKey).reveal().utf8)
        let hostname = Array(ping.hostname.utf8)
        let expected = ForwardDigest.sha512Hex([ping.sharedKeySalt, hostname, nonce, sharedKey])
        guard ForwardDigest.constantTimeEquals(expected, ping.sharedKeyDigest) else {
            return fail("shared_key mismatch")
        }
        if security.userAuth {
            let allowed = client.map { $0.users } ?? []
            let candidates = security.users.filter { allowed.isEmpty || allowed.contains($0.username) }
            var success = false
            for user in candidates {
                // Every candidate is hashed, so timing does not tell which names exist.
                let digest = ForwardDigest.sha512Hex([authSalt, Array(ping.username.utf8), Array(user.password.reveal().utf8)])
                let match = ForwardDigest.constantTimeEquals(digest, ping.passwordDigest)
                success = success || (match && user.username == ping.username)
            }
            guard success else { return fail("username/password mismatch") }
        }
        state = .established
        let digest = ForwardDigest.sha512Hex([ping.sharedKeySalt, Array(security.selfHostname.utf8), nonce, sharedKey])
        return .send(Self.pong(success: true, reason: "", hostname: security.selfHostname, digest: digest))
    }

    /// Events arrived: accepted once established; before the PING they fail the handshake.
    public mutating func eventsReceived() -> Action {
        switch state {
        case .established: return .acceptEvents
        case .awaitingPing: return fail("invalid ping message")
        case .initial, .failed:
            state = .failed
            return .close(reason: "events before the connection was set up")
        }
    }

    private mutating func fail(_ reason: String) -> Action {
        state = .failed
        return .sendAndClose(Self.pong(success: false, reason: reason, hostname: "", digest: ""), reason: reason)
    }

    static func pong(success: Bool, reason: String, hostname: String, digest: String) -> [UInt8] {
        var writer = MessagePackWriter(capacity: 200)
        writer.writeArrayHeader(count: 5)
        writer.write("PONG")
        writer.write(success)
        writer.write(reason)
        writer.write(hostname)
        writer.write(digest)
        return writer.bytes
    }
}
