import RunnelCore

/// The client half of the shared-key handshake: answers HELO with PING and checks the PONG
/// (spec: "Handshake Messages"; out_forward's generate_ping / check_pong).
public struct ForwardClientHandshake: Sendable {
    public let selfHostname: String
    public let sharedKey: Secret
    public let username: String
    public let password: Secret
    private let salt: [UInt8]
    private var nonce: [UInt8] = []

    public init(selfHostname: String, sharedKey: Secret, username: String = "", password: Secret = Secret(""), salt: [UInt8]) {
        self.selfHostname = selfHostname
        self.sharedKey = sharedKey
        self.username = username
        self.password = password
        self.salt = salt
    }

    /// Reads HELO and returns the PING to send.
    public mutating func ping(answering helo: MessagePackValue) throws(ForwardError) -> [UInt8] {
        guard case .array(let parts) = helo, parts.count == 2, parts[0].stringValue == "HELO", case .map = parts[1] else {
            throw ForwardError(.unexpectedResponse("expected HELO"))
        }
        nonce = Self.bytes(parts[1]["nonce"]) ?? []
        let authSalt = Self.bytes(parts[1]["auth"]) ?? []
        var writer = MessagePackWriter(capacity: 400)
        writer.writeArrayHeader(count: 6)
        writer.write("PING")
        writer.write(selfHostname)
        // A str, as Fluentd's out_forward sends it: Fluent Bit's in_forward refuses any other type.
        writer.writeString(utf8: salt)
        writer.write(ForwardDigest.sha512Hex([salt, Array(selfHostname.utf8), nonce, Array(sharedKey.reveal().utf8)]))
        if authSalt.isEmpty {
            writer.write("")
            writer.write("")
        } else {
            writer.write(username)
            writer.write(ForwardDigest.sha512Hex([authSalt, Array(username.utf8), Array(password.reveal().utf8)]))
        }
        return writer.bytes
    }

    /// Checks the PONG: success, and a digest that proves the server knows the shared key.
    public func verify(pong: MessagePackValue) throws(ForwardError) {
        guard case .array(let parts) = pong, parts.count == 5, parts[0].stringValue == "PONG", case .bool(let ok) = parts[1] else {
            throw ForwardError(.unexpectedResponse("expected PONG"))
        }
        guard ok else { throw ForwardError(.authenticationFailed(reason: parts[2].stringValue ?? "refused")) }
        let hostname = parts[3].stringValue ?? ""
        guard hostname != selfHostname else {
            throw ForwardError(.authenticationFailed(reason: "same hostname between input and output: invalid configuration"))
        }
        let expected = ForwardDigest.sha512Hex([salt, Array(hostname.utf8), nonce, Array(sharedKey.reveal().utf8)])
        guard ForwardDigest.constantTimeEquals(expected, parts[4].stringValue ?? "") else {
            throw ForwardError(.authenticationFailed(reason: "shared key mismatch in PONG"))
        }
    }

    /// A fresh salt as Fluentd's out_forward makes one (`SecureRandom.hex(16)`): 32 hex digits.
    public static func newSalt() -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return ForwardInput.randomBytes(16).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
    }

    static func bytes(_ value: MessagePackValue?) -> [UInt8]? {
        switch value {
        case .binary(let bytes)?: return bytes
        case .string(let string)?: return Array(string.utf8)
        default: return nil
        }
    }
}
