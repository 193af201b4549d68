import Foundation

/// Polls `condition` until it holds, throwing `TestFailure` naming `what` after `timeout` seconds:
/// a wait for something to happen, with a generous limit for a loaded machine, never a speed check.
public func waitUntil(
    _ what: String, timeout: Double = 20, every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return }
        guard Date() < deadline else { throw TestFailure("timed out after \(timeout) s waiting until \(what)") }
        try await Task.sleep(for: interval)
    }
}

/// A test's own failure (a helper that could not start, a wait that timed out), with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads `value` until `condition` holds for it or `timeout` seconds pass, and returns the last
/// value read: for a test that then asserts on what arrived, saying what is missing.
public func polled<Value>(
    timeout: Double = 20, every interval: Duration = .milliseconds(20), _ value: () throws -> Value,
    until condition: (Value) -> Bool
) async throws -> Value {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let current = try value()
        if condition(current) || Date() >= deadline { return current }
        try await Task.sleep(for: interval)
    }
}
