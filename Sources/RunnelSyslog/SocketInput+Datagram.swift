import Logging
import NIOCore
import NIOPosix
import RunnelCore
import ServiceLifecycle

extension SocketInput {
    typealias DatagramChannel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    func runDatagrams(_ address: SocketAddress) async throws {
        let channel: DatagramChannel
        do {
            // A datagram longer than the allocator's buffer is cut there, as Fluentd's recvfrom(max_bytes) does.
            var bootstrap = DatagramBootstrap(group: group)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: configuration.datagramLimit))
            if let size = configuration.receiveBufferSize {
                bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: size)
            }
            let initializer: @Sendable (any Channel) -> EventLoopFuture<DatagramChannel> = { channel in
                channel.eventLoop.makeCompletedFuture { try DatagramChannel(wrappingChannelSynchronously: channel) }
            }
            channel = try await bootstrap.bind(to: address, channelInitializer: initializer)
        } catch {
            throw bindFailed(error)
        }
        let local = channel.channel.localAddress!
        bound.set(local)
        logger.info("listening", metadata: metadata.merging(["socket.address": "\(local)"]) { $1 })
        var interpreter = self.interpreter
        do {
            try await withGracefulShutdownHandler {
                try await channel.executeThenClose { inbound, _ in
                    for try await datagram in inbound {
                        var bytes = Array(datagram.data.readableBytesView)
                        if configuration.removeNewline { Self.chomp(&bytes) }
                        let source = await source(datagram.remoteAddress)
                        await deliver([.message(bytes)], from: source, interpreter: &interpreter, peer: "\(datagram.remoteAddress)")
                    }
                }
            } onGracefulShutdown: {
                self.stopping.withLock { $0 = true }
                channel.channel.close(promise: nil)
            }
        } catch  where isStopping {
            // The shutdown handler closed the channel under the read loop.
            logger.debug("datagram channel closed", metadata: ["socket.port": "\(configuration.port)", "error": "\(error)"])
        }
        logger.info("stopped", metadata: metadata)
    }

    /// Ruby's `String#chomp`: one trailing `\r\n`, `\n` or `\r`.
    static func chomp(_ bytes: inout [UInt8]) {
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        } else if bytes.last == UInt8(ascii: "\r") {
            bytes.removeLast()
        }
    }
}
