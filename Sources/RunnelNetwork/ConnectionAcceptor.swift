import NIOCore
import ServiceLifecycle
import Synchronization

/// Serves the connections a listening `NIOAsyncChannel` accepts, each in a task of its own,
/// until graceful shutdown (or cancellation) closes the listener; shared by every input that
/// accepts connections (Forward, syslog and TCP, the HTTP server).
///
/// Between the child channel initializer and its serving task, an accepted connection waits in
/// NIO's buffer of accepted channels. When the listener closes, NIO drops what is still waiting
/// there, and an `NIOAsyncChannel` dropped before its writer is finished traps ("Deinited
/// NIOAsyncWriter without calling finish()", in release builds too) once the connection turns
/// active: a client connecting at the moment of a reload or a stop would bring the process down.
/// So `initializer(_:)` makes each connection and holds it until its task takes it; whatever was
/// never taken is closed when the listener stops, and a connection accepted after that is refused
/// before it is made and closed then and there, on its event loop.
public final class ConnectionAcceptor<Connection: Sendable, Inbound: Sendable, Outbound: Sendable>: Sendable {
    private struct State {
        var waiting: [ObjectIdentifier: Connection] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    private let asyncChannel: @Sendable (Connection) -> NIOAsyncChannel<Inbound, Outbound>

    /// `channel` finds the connection's `NIOAsyncChannel` (the connection itself, or a field of a
    /// value that carries more).
    public init(channel: @escaping @Sendable (Connection) -> NIOAsyncChannel<Inbound, Outbound>) {
        asyncChannel = channel
    }

    /// The child channel initializer of the listener: `setUp` builds each accepted channel's
    /// pipeline and connection on its event loop, and the connection is held until its task takes
    /// it. A channel that fails to set up, or arrives once the listener has stopped, is closed
    /// here: NIO leaves a channel whose initializer failed unregistered and open.
    public func initializer(
        _ setUp: @escaping @Sendable (any Channel) throws -> Connection
    ) -> @Sendable (any Channel) -> EventLoopFuture<Connection> {
        { channel in
            do {
                return channel.eventLoop.makeSucceededFuture(try self.accepted(channel, setUp))
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
    }

    private func accepted(_ channel: any Channel, _ setUp: (any Channel) throws -> Connection) throws -> Connection {
        let key = ObjectIdentifier(channel)
        return try state.withLock { state in
            if state.stopped { throw ListenerStopped() }
            let connection = try setUp(channel)
            state.waiting[key] = connection
            return connection
        }
    }

    /// Accepts until graceful shutdown, calling `serve` for each connection in its own task, and
    /// returns once every served connection has ended. `onGracefulShutdown` runs just before the
    /// listener is closed.
    public func run(
        _ server: NIOAsyncChannel<Connection, Never>, onGracefulShutdown: @escaping @Sendable () -> Void = {},
        serve: @escaping @Sendable (Connection) async -> Void
    ) async throws {
        do {
            try await accept(server, onGracefulShutdown: onGracefulShutdown, serve: serve)
        } catch {
            await closeWaiting()
            throw error
        }
        await closeWaiting()
    }

    private func accept(
        _ server: NIOAsyncChannel<Connection, Never>, onGracefulShutdown: @escaping @Sendable () -> Void,
        serve: @escaping @Sendable (Connection) async -> Void
    ) async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        let key = ObjectIdentifier(asyncChannel(connection).channel)
                        state.withLock { _ = $0.waiting.removeValue(forKey: key) }
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            onGracefulShutdown()
            server.channel.close(promise: nil)
        }
    }

    private func closeWaiting() async {
        let waiting = state.withLock { state in
            state.stopped = true
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for connection in waiting { await close(connection) }
    }

    private func close(_ connection: Connection) async {
        try? await asyncChannel(connection).executeThenClose { _, _ in }
    }
}

/// A connection arrived after its listener stopped; it is closed unserved.
public struct ListenerStopped: Error, CustomStringConvertible {
    public var description: String { "the listener has stopped; connection closed" }
}
