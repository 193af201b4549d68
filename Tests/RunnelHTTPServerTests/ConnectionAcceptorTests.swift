import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import RunnelNetwork
import RunnelTestSupport
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The accept loop every listener shares, on a listener of its own whose connections write a
/// line and close.
@Suite(.timeLimit(.minutes(5))) struct ConnectionAcceptorTests {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>
    struct SetUpFailed: Error {}

    /// Reads what the peer sends until it closes (true) or `seconds` pass (false).
    static func readUntilClosed(_ fd: Int32, within seconds: Int) -> (String, closed: Bool) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 512)
        while true {
            let count = recv(fd, &scratch, scratch.count, 0)
            if count > 0 {
                bytes += scratch[0..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            let closed = count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            return (String(decoding: bytes, as: UTF8.self), closed)
        }
    }

    /// A connection whose set-up throws is closed at once (NIO itself would leave its socket
    /// open and unregistered), and the listener goes on serving the next ones.
    @Test func aConnectionThatFailsToSetUpIsClosedAndTheListenerGoesOn() async throws {
        let acceptor = ConnectionAcceptor<Connection, ByteBuffer, ByteBuffer>(channel: { $0 })
        let failuresLeft = Mutex(2)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(
                host: "127.0.0.1", port: 0,
                childChannelInitializer: acceptor.initializer { channel in
                    let fail = failuresLeft.withLock { left in
                        defer { left -= 1 }
                        return left > 0
                    }
                    if fail { throw SetUpFailed() }
                    return try Connection(wrappingChannelSynchronously: channel)
                })
        let port = try #require(server.channel.localAddress?.port)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await acceptor.run(server) { connection in
                        try? await connection.executeThenClose { _, outbound in
                            try await outbound.write(ByteBuffer(string: "served\n"))
                        }
                    }
                }
                let replies = try await onOwnThread {
                    (0..<4).map { _ -> (String, closed: Bool) in
                        guard let fd = connectLoopback(port: port) else { return ("no connection", false) }
                        defer { close(fd) }
                        return Self.readUntilClosed(fd, within: 30)
                    }
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
                #expect(replies.map(\.closed) == [true, true, true, true], "\(replies)")
                #expect(replies.map(\.0) == ["", "", "served\n", "served\n"])
            }
        }
    }

    /// A connection that arrives once the listener has stopped is refused before it is made:
    /// nothing serves it, and its socket is closed.
    @Test func aConnectionAfterTheStopIsClosedUnserved() async throws {
        let acceptor = ConnectionAcceptor<Connection, ByteBuffer, ByteBuffer>(channel: { $0 })
        let made = Mutex(0)
        let setUp = acceptor.initializer { channel in
            made.withLock { $0 += 1 }
            return try Connection(wrappingChannelSynchronously: channel)
        }
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0, childChannelInitializer: setUp)
        try await testGracefulShutdown { trigger in
            trigger.triggerGracefulShutdown()
            try await acceptor.run(server) { _ in Issue.record("a connection was served") }
        }
        // A channel accepted after that, handed to the initializer as NIO would.
        let channel = EmbeddedChannel()
        let result = setUp(channel)
        #expect(throws: ListenerStopped.self) { try result.wait() }
        #expect(made.withLock { $0 } == 0)
        #expect(throws: ChannelError.alreadyClosed) { try channel.close().wait() }
    }
}
