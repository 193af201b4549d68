import NIOCore
import NIOEmbedded
import RunnelCore
import Testing
@testable import RunnelForward

@Suite struct ForwardHandshakeStateMachineTests {
    let nonce: [UInt8] = Array(0..<16)
    let authSalt: [UInt8] = Array(100..<116)

    func security(userAuth: Bool = false, anonymous: Bool = true, clients: [ForwardSecurity.Client] = []) -> ForwardSecurity {
        ForwardSecurity(
            selfHostname: "server", sharedKey: Secret("s3cret"), userAuth: userAuth, allowAnonymousSource: anonymous,
            users: [.init(username: "alice", password: Secret("pw1")), .init(username: "bob", password: Secret("pw2"))],
            clients: clients)
    }

    /// Runs a real client handshake against the machine; returns the machine's answer to PING.
    func run(
        _ machine: inout ForwardHandshakeStateMachine, key: String, username: String = "", password: String = ""
    ) throws -> ForwardHandshakeStateMachine.Action {
        guard case .send(let helo) = machine.connectionOpened(nonce: nonce, authSalt: authSalt) else {
            Issue.record("no HELO"); return .none
        }
        var client = ForwardClientHandshake(
            selfHostname: "client", sharedKey: Secret(key), username: username, password: Secret(password), salt: Array(50..<66))
        let ping = try client.ping(answering: MessagePackValue(decoding: helo))
        guard case .ping(let parsed) = try ForwardFrame.parse(ping.withUnsafeBytes { UnsafeRawBufferPointer($0) }, options: ForwardFixtures.options()) else {
            Issue.record("PING did not parse"); return .none
        }
        let action = machine.pingReceived(parsed)
        if case .send(let pong) = action { try client.verify(pong: MessagePackValue(decoding: pong)) }
        return action
    }

    func pongReason(_ action: ForwardHandshakeStateMachine.Action) throws -> String? {
        guard case .sendAndClose(let pong, _) = action else { return nil }
        return try MessagePackValue(decoding: pong).encoded == pong ? (try MessagePackValue(decoding: pong)).arrayElement(2) : nil
    }

    @Test func withoutSecurityEventsAreAcceptedAtOnce() {
        var machine = ForwardHandshakeStateMachine(security: nil, peerAddress: "127.0.0.1")
        #expect(machine.connectionOpened(nonce: nonce, authSalt: authSalt) == .none)
        #expect(machine.eventsReceived() == .acceptEvents)
    }

    @Test func goodSharedKeyEstablishes() throws {
        var machine = ForwardHandshakeStateMachine(security: security(), peerAddress: "127.0.0.1")
        guard case .send = try run(&machine, key: "s3cret") else { Issue.record("expected PONG"); return }
        #expect(machine.isEstablished)
        #expect(machine.eventsReceived() == .acceptEvents)
    }

    @Test func wrongSharedKeyIsRefused() throws {
        var machine = ForwardHandshakeStateMachine(security: security(), peerAddress: "127.0.0.1")
        let action = try run(&machine, key: "wrong")
        #expect(try pongReason(action) == "shared_key mismatch")
        #expect(!machine.isEstablished)
    }

    @Test(arguments: [("alice", "pw1", true), ("alice", "pw2", false), ("carol", "pw1", false), ("", "", false)])
    func userAuth(username: String, password: String, accepted: Bool) throws {
        var machine = ForwardHandshakeStateMachine(security: security(userAuth: true), peerAddress: "10.0.0.1")
        let action = try run(&machine, key: "s3cret", username: username, password: password)
        if accepted {
            guard case .send = action else { Issue.record("expected PONG true"); return }
        } else {
            #expect(try pongReason(action) == "username/password mismatch")
        }
    }

    @Test func clientSectionsChooseKeyAndUsers() throws {
        let clients = [ForwardSecurity.Client(network: IPNetwork("192.168.0.0/16"), sharedKey: Secret("lan-key"), users: ["bob"])]
        var lan = ForwardHandshakeStateMachine(security: security(userAuth: true, anonymous: false, clients: clients), peerAddress: "192.168.3.4")
        guard case .send = try run(&lan, key: "lan-key", username: "bob", password: "pw2") else { Issue.record("expected PONG"); return }
        var alice = ForwardHandshakeStateMachine(security: security(userAuth: true, anonymous: false, clients: clients), peerAddress: "192.168.3.4")
        #expect(try pongReason(try run(&alice, key: "lan-key", username: "alice", password: "pw1")) == "username/password mismatch")
        var outsider = ForwardHandshakeStateMachine(security: security(anonymous: false, clients: clients), peerAddress: "10.1.1.1")
        #expect(try pongReason(try run(&outsider, key: "s3cret")) == "anonymous source host '10.1.1.1' denied")
    }

    @Test func eventsBeforePingFailTheHandshake() throws {
        var machine = ForwardHandshakeStateMachine(security: security(), peerAddress: "127.0.0.1")
        _ = machine.connectionOpened(nonce: nonce, authSalt: authSalt)
        #expect(try pongReason(machine.eventsReceived()) == "invalid ping message")
    }

    @Test func clientRejectsForgedPong() throws {
        var client = ForwardClientHandshake(selfHostname: "client", sharedKey: Secret("k"), salt: [1, 2, 3])
        _ = try client.ping(answering: .array([.string("HELO"), .map([.init(key: "nonce", value: .binary([9]))])]))
        let forged = ForwardHandshakeStateMachine.pong(success: true, reason: "", hostname: "server", digest: String(repeating: "0", count: 128))
        #expect(throws: ForwardError(.authenticationFailed(reason: "shared key mismatch in PONG"))) {
            try client.verify(pong: MessagePackValue(decoding: forged))
        }
    }

    /// Fluent Bit's in_forward sends its HELO nonce as a str of random bytes, not valid UTF-8:
    /// the client's decoder keeps them as sent and the PING's digest is over those bytes.
    @Test func heloWithANonceOfRandomBytesInAStr() throws {
        let nonce: [UInt8] = [0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28, 0x41, 0x9a]
        var helo: [UInt8] = [0x92, 0xa4] + Array("HELO".utf8) + [0x83, 0xa5] + Array("nonce".utf8) + [0xa0 | UInt8(nonce.count)] + nonce
        helo += [0xa4] + Array("auth".utf8) + [0xa0] + [0xa9] + Array("keepalive".utf8) + [0xc3]
        #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: helo) }

        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MessagePackValueDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: helo))
        let decoded = try #require(try channel.readInbound(as: MessagePackValue.self))
        guard case .array(let parts) = decoded else { Issue.record("\(decoded)"); return }
        #expect(parts[1]["nonce"] == .binary(nonce))

        var client = ForwardClientHandshake(selfHostname: "runnel", sharedKey: Secret("k"), salt: [1, 2, 3])
        let ping = try MessagePackValue(decoding: try client.ping(answering: decoded))
        let digest = ForwardDigest.sha512Hex([[1, 2, 3], Array("runnel".utf8), nonce, Array("k".utf8)])
        #expect(ping.arrayElement(3) == digest)
    }

    @Test func constantTimeComparison() {
        #expect(ForwardDigest.constantTimeEquals("abc", "abc"))
        #expect(!ForwardDigest.constantTimeEquals("abc", "abd"))
        #expect(!ForwardDigest.constantTimeEquals("abc", "abcd"))
        #expect(ForwardDigest.sha512Hex([Array("abc".utf8)]).hasPrefix("ddaf35a193617aba"))
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.2.3.4", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.168.1.7", "192.168.1.7", true),
        ("10.0.0.0/8", "::ffff:10.0.0.9", true), ("fd00::/8", "fd12::1", true), ("fd00::/8", "fe80::1", false),
    ])
    func networks(network: String, address: String, contained: Bool) {
        #expect(IPNetwork(network)?.contains(address) == contained)
    }

    @Test(arguments: [
        ("192.168.0.0/16", "192.168.0.0/16"), ("10.1.2.3", "10.1.2.3/32"), ("fd00::/8", "fd00::/8"),
        ("FD00:0:0::1/128", "fd00::1/128"),
    ])
    func networksPrintInCIDRForm(network: String, printed: String) {
        #expect(IPNetwork(network)?.description == printed)
    }
}

extension MessagePackValue {
    func arrayElement(_ index: Int) -> String? {
        guard case .array(let elements) = self, index < elements.count else { return nil }
        return elements[index].stringValue
    }
}
