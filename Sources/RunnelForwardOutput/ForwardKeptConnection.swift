import RunnelForward
import Synchronization

/// `keepalive`: one connection to one server kept open between chunks. Senders queue their
/// messages here; `run()` (a child task of the plugin's `run()`) connects on the first, writes
/// each in turn on the same connection, waits for its ack, and closes the connection after
/// `keepalive_timeout` idle or on any error, failing the message in flight (the sender then
/// detaches the server and tries the next). `send_timeout` and `ack_response_timeout` bound each
/// message as without keepalive.
final class ForwardKeptConnection: Sendable {
    struct Request: Sendable {
        var messages: [[UInt8]]
        var chunkID: String?
        var reply: CheckedContinuation<Void, any Error>
    }

    private struct State: Sendable {
        var queue: [Request] = []
        var waiter: CheckedContinuation<Request?, Never>?
        var running = false
        /// The request being written or waiting for its ack.
        var current: Request?
    }

    let configuration: ForwardOutputConfiguration
    let server: Int
    let pool: ForwardServerPool
    private let state = Mutex(State())

    init(configuration: ForwardOutputConfiguration, server: Int, pool: ForwardServerPool) {
        self.configuration = configuration
        self.server = server
        self.pool = pool
    }

    var isRunning: Bool { state.withLock { $0.running } }

    /// Sends on the kept connection; false when it is not running (a `<secondary>` use, or
    /// before `run()`), so the caller opens a connection of its own.
    func send(_ messages: [[UInt8]], chunkID: String?) async throws -> Bool {
        do {
            try await enqueue(messages, chunkID: chunkID)
            return true
        } catch is NotRunning {
            return false
        }
    }

    private func enqueue(_ messages: [[UInt8]], chunkID: String?) async throws {
        try await withCheckedThrowingContinuation { (reply: CheckedContinuation<Void, any Error>) in
            let request = Request(messages: messages, chunkID: chunkID, reply: reply)
            let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Request?, Never>?) in
                guard state.running else { return (false, nil) }
                if let waiter = state.waiter {
                    state.waiter = nil
                    return (true, waiter)
                }
                state.queue.append(request)
                return (true, nil)
            }
            if !accepted {
                reply.resume(throwing: NotRunning())
            } else {
                waiter?.resume(returning: request)
            }
        }
    }

    /// Serves the queue until cancelled; whatever is queued then fails (and is sent again).
    func run() async {
        state.withLock { $0.running = true }
        defer {
            let left = state.withLock { state -> [Request] in
                state.running = false
                defer { state.queue = [] }
                return state.queue + (state.current.map { [$0] } ?? [])
            }
            for request in left { request.reply.resume(throwing: ForwardError(.connectionClosed)) }
        }
        while let first = await next() {
            await serve(first)
        }
    }

    /// One connection: `first`, then every request that comes before it idles out or fails.
    private func serve(_ first: Request) async {
        let phase = ForwardSendPhase()
        // Current from now on: if connecting fails, it is the one to fail.
        state.withLock { $0.current = first }
        do {
            let client = try await ForwardChunkSender.client(configuration, server: server, pool: pool)
            try await withDeadline(
                phase: phase, send: configuration.sendTimeout, ack: configuration.ackResponseTimeout, idle: configuration.keepaliveTimeout
            ) { [self] in
                try await ForwardClient.withConnection(client) { connection in
                    var request: Request? = first
                    while let current = request {
                        phase.enter(.sending)
                        state.withLock { $0.current = current }
                        for message in current.messages { try await connection.sendRaw(message) }
                        if let chunkID = current.chunkID {
                            phase.enter(.awaitingAck)
                            try ForwardChunkSender.checkAck(try await connection.receive(), chunkID: chunkID)
                        }
                        state.withLock { $0.current = nil }
                        current.reply.resume()
                        phase.enter(.idle)
                        request = await next()
                    }
                }
            }
        } catch {
            state.withLock { state in
                defer { state.current = nil }
                return state.current
            }?.reply.resume(throwing: error)
        }
    }

    /// The next request, waiting for one; nil once the task is cancelled (stop, or idle timeout).
    private func next() async -> Request? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Request?, Never>) in
                let ready = state.withLock { state -> Request?? in
                    if Task.isCancelled { return .some(nil) }
                    if !state.queue.isEmpty { return state.queue.removeFirst() }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(returning: nil)
        }
    }

    struct NotRunning: Error {}
}
