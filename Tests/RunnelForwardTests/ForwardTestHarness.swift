import Foundation
import Logging
import NIOCore
import RunnelCore
import RunnelPipeline
import ServiceLifecycleTestKit
import Synchronization
import Testing
@testable import RunnelForward

/// An EventSink that keeps what it is given; it can be told to refuse (buffer full) or to hold
/// emits until released (a blocked buffer).
final class CapturingSink: EventSink {
    private struct State {
        var streams: [EventStream] = []
        var refuse = 0
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func emit(_ stream: EventStream) async throws {
        let refuse: Bool = state.withLock { state in
            if state.refuse > 0 {
                state.refuse -= 1
                return true
            }
            return false
        }
        if refuse { throw PipelineError.bufferOverflow(output: "test") }
        await withCheckedContinuation { continuation in
            let hold = state.withLock { state in
                if state.holding { state.held.append(continuation) }
                return state.holding
            }
            if !hold { continuation.resume() }
        }
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.streams.append(stream)
            let total = state.streams.reduce(0) { $0 + $1.count }
            let (done, waiting) = (state.waiters.filter { $0.0 <= total }, state.waiters.filter { $0.0 > total })
            state.waiters = waiting
            return done.map { $0.1 }
        }
        for waiter in ready { waiter.resume() }
    }

    var streams: [EventStream] { state.withLock { $0.streams } }
    var eventCount: Int { state.withLock { $0.streams.reduce(0) { $0 + $1.count } } }

    func refuseNext(_ count: Int) { state.withLock { $0.refuse = count } }
    func hold() { state.withLock { $0.holding = true } }
    var heldCount: Int { state.withLock { $0.held.count } }

    func release() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    /// Waits until at least `count` events arrived.
    func waitForEvents(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.streams.reduce(0, { $0 + $1.count }) >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// All events received, decoded, with their tags.
    func events() throws -> [(tag: String, time: EventTime, record: MessagePackValue)] {
        try streams.flatMap { stream in try stream.decodedEntries().map { (stream.tag, $0.time, $0.record) } }
    }
}

enum ForwardTestError: Error { case timedOut(String) }

/// Runs a ForwardInput on 127.0.0.1:0, hands `body` its port, then shuts it down gracefully and
/// checks that `run()` returned.
func withForwardInput(
    _ configuration: ForwardInputConfiguration = ForwardInputConfiguration(endpoint: .tcp(host: "127.0.0.1", port: 0)),
    sink: CapturingSink = CapturingSink(),
    _ body: @Sendable (ForwardInput, Int) async throws -> Void
) async throws {
    var logger = Logger(label: "forward-test")
    logger.logLevel = .critical
    let input = try ForwardInput(configuration: configuration, sink: sink, logger: logger)
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await input.run() }
            let port: Int
            if case .unix = configuration.endpoint {
                _ = try await input.boundAddress
                port = 0
            } else {
                port = try await input.boundPort
            }
            do {
                try await body(input, port)
            } catch {
                trigger.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            trigger.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

func localConfiguration(_ change: (inout ForwardInputConfiguration) -> Void = { _ in }) -> ForwardInputConfiguration {
    var configuration = ForwardInputConfiguration(endpoint: .tcp(host: "127.0.0.1", port: 0))
    change(&configuration)
    return configuration
}

func clientConfiguration(port: Int, ack: Bool = true, _ change: (inout ForwardClientConfiguration) -> Void = { _ in }) -> ForwardClientConfiguration {
    var configuration = ForwardClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port), requireAck: ack)
    change(&configuration)
    return configuration
}
