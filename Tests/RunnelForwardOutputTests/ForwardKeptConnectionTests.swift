import Logging
import NIOCore
import NIOPosix
import RunnelBuffer
import RunnelCore
import RunnelTestSupport
import Synchronization
import Testing

@testable import RunnelForwardOutput

/// `keepalive`: chunks share one connection until it idles out or fails.
@Suite struct ForwardKeptConnectionTests {
    /// A server that reads and never answers, counting the connections it accepted.
    final class CountingServer: Sendable {
        final class Count: Sendable {
            let value = Mutex(0)
        }

        let accepted = Count()
        let channel: any Channel

        init() async throws {
            let accepted = accepted
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    accepted.value.withLock { $0 += 1 }
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var port: Int { channel.localAddress?.port ?? 0 }
        var connections: Int { accepted.value.withLock { $0 } }
    }

    static func sender(port: Int, ack: Bool, idle: Duration? = nil) -> ForwardChunkSender {
        var configuration = ForwardOutputConfiguration(servers: [.init(host: "127.0.0.1", port: port)])
        configuration.keepalive = true
        configuration.keepaliveTimeout = idle
        configuration.requireAckResponse = ack
        configuration.ackResponseTimeout = .seconds(1)
        configuration.sendTimeout = .seconds(120)
        // A failed send takes the one server out of the rotation, and the next send then opens
        // nothing: give connecting room on a machine that every suite at once keeps busy.
        configuration.connectTimeout = .seconds(60)
        var logger = Logger(label: "forward-output-test")
        logger.logLevel = .critical
        return ForwardChunkSender(configuration: configuration, pool: ForwardServerPool(configuration: configuration, logger: logger), logger: logger)
    }

    /// Runs `body` while the sender's kept connections run.
    static func running(_ sender: ForwardChunkSender, _ body: () async throws -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for connection in sender.connections ?? [] { group.addTask { await connection.run() } }
            try await waitUntil("the kept connections run", timeout: 120) {
                await sender.connections?.allSatisfy { $0.isRunning } ?? false
            }
            try await body()
            group.cancelAll()
        }
    }

    @Test func chunksShareOneConnection() async throws {
        let server = try await CountingServer()
        defer { server.channel.close(promise: nil) }
        let sender = Self.sender(port: server.port, ack: false)
        try await Self.running(sender) {
            for _ in 0..<5 {
                guard case .delivered = await sender.send(ForwardChunkSenderTests.chunk()) else {
                    Issue.record("not delivered")
                    return
                }
            }
        }
        // The server may count the accept after the client wrote: wait for it, then there is one.
        try await waitUntil("the server counts the connection", timeout: 120) { server.connections >= 1 }
        #expect(server.connections == 1)
    }

    @Test func idleConnectionsAreClosedAndReopened() async throws {
        let server = try await CountingServer()
        defer { server.channel.close(promise: nil) }
        let sender = Self.sender(port: server.port, ack: false, idle: .milliseconds(100))
        try await Self.running(sender) {
            _ = await sender.send(ForwardChunkSenderTests.chunk())
            try await Task.sleep(for: .seconds(2))  // well past keepalive_timeout
            _ = await sender.send(ForwardChunkSenderTests.chunk())
        }
        try await waitUntil("the server counts the connections", timeout: 120) { server.connections >= 2 }
        #expect(server.connections == 2)
    }

    @Test func missingAckOnAKeptConnectionIsARetry() async throws {
        let server = try await CountingServer()
        defer { server.channel.close(promise: nil) }
        let sender = Self.sender(port: server.port, ack: true)
        try await Self.running(sender) {
            guard case .retry(let error) = await sender.send(ForwardChunkSenderTests.chunk()) else {
                Issue.record("a chunk without an ack was not retried")
                return
            }
            #expect(error.code == "ack_timeout", "\(error)")
        }
    }

    @Test func withoutRunningItFallsBackToAConnectionPerChunk() async throws {
        let server = try await CountingServer()
        defer { server.channel.close(promise: nil) }
        let sender = Self.sender(port: server.port, ack: false)
        var results: [String] = []
        for _ in 0..<2 { results.append("\(await sender.send(ForwardChunkSenderTests.chunk()))") }
        try await waitUntil("both connections arrive (sends: \(results))", timeout: 120) { server.connections >= 2 }
        #expect(server.connections == 2)
    }
}
