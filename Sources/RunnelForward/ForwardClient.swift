import NIOCore
import NIOPosix
import NIOSSL
import RunnelCore

/// A Forward protocol client: sends event streams in any mode, optionally over TLS, after the
/// shared-key handshake, and waits for each ack when `requireAck` is set.
///
/// ```swift
/// try await ForwardClient.withConnection(configuration) { client in
///     try await client.send(stream, mode: .packedForward)
/// }
/// ```
public struct ForwardClient: ~Copyable {
    private var inbound: NIOAsyncChannelInboundStream<MessagePackValue>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    public let configuration: ForwardClientConfiguration

    /// Connects, runs the handshake if a shared key is set, hands the client to `body`, then closes.
    public static func withConnection<R: Sendable>(
        _ configuration: ForwardClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (inout ForwardClient) async throws -> R
    ) async throws -> R {
        let sslContext = try configuration.tls?.makeClientContext()
        let serverName = configuration.tlsServerName
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<MessagePackValue, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                if let sslContext {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                }
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MessagePackValueDecoder()))
                return try NIOAsyncChannel<MessagePackValue, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        var bootstrap = ClientBootstrap(group: group)
        if let timeout = configuration.connectTimeout {
            bootstrap = bootstrap.connectTimeout(TimeAmount(timeout))
        }
        let channel: NIOAsyncChannel<MessagePackValue, ByteBuffer>
        switch configuration.endpoint {
        case .tcp(let host, let port):
            channel = try await bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port, channelInitializer: initializer)
        case .unix(let path):
            channel = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
        return try await channel.executeThenClose { inbound, outbound in
            var client = ForwardClient(inbound: inbound.makeAsyncIterator(), outbound: outbound, configuration: configuration)
            try await client.handshake()
            let result = try await body(&client)
            outbound.finish()
            return result
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<MessagePackValue>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        configuration: ForwardClientConfiguration
    ) {
        self.inbound = inbound
        self.outbound = outbound
        self.configuration = configuration
    }

    private mutating func handshake() async throws {
        guard let key = configuration.sharedKey else { return }
        var handshake = ForwardClientHandshake(
            selfHostname: configuration.selfHostname, sharedKey: key, username: configuration.username ?? "",
            password: configuration.password ?? Secret(""), salt: ForwardClientHandshake.newSalt())
        let ping = try handshake.ping(answering: try await next())
        try await outbound.write(ByteBuffer(bytes: ping))
        try handshake.verify(pong: try await next())
    }

    private mutating func next() async throws -> MessagePackValue {
        guard let value = try await inbound.next() else { throw ForwardError(.connectionClosed) }
        return value
    }

    /// Sends `stream` in `mode`; with `requireAck`, returns once every message is acknowledged.
    public mutating func send(_ stream: EventStream, mode: ForwardMessage.Mode) async throws {
        let chunks: [String]? = configuration.requireAck ? [] : nil
        if mode == .message {
            var ids: [String] = []
            let messages = try ForwardMessageEncoder.encode(stream, mode: .message, chunk: nil)
            for message in messages {
                let id = chunks == nil ? nil : Self.chunkID()
                var bytes = message
                if let id {
                    // Message mode carries its option as a 4th element: re-encode with it.
                    bytes[0] = 0x94
                    var writer = MessagePackWriter(appendingTo: bytes)
                    ForwardMessageEncoder.writeOption(&writer, size: nil, chunk: id, compressed: false)
                    bytes = writer.bytes
                    ids.append(id)
                }
                try await outbound.write(ByteBuffer(bytes: bytes))
            }
            for id in ids { try await awaitAck(id) }
            return
        }
        let id = chunks == nil ? nil : Self.chunkID()
        for message in try ForwardMessageEncoder.encode(stream, mode: mode, chunk: id) {
            try await outbound.write(ByteBuffer(bytes: message))
        }
        if let id { try await awaitAck(id) }
    }

    /// Sends bytes as they are (tests use it for hand-made or broken messages).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Reads the next value from the server (tests use it).
    public mutating func receive() async throws -> MessagePackValue { try await next() }

    private mutating func awaitAck(_ id: String) async throws {
        let answer = try await next()
        guard let ack = answer["ack"]?.stringValue else { throw ForwardError(.unexpectedResponse("expected an ack map")) }
        guard ack == id else { throw ForwardError(.ackMismatch(expected: id, received: ack)) }
    }

    static func chunkID() -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in ForwardInput.randomBytes(16) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
