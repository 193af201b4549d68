import Foundation

/// Runs a program to completion: `run` on a thread of its own, so that waiting for the child
/// (a python importing boto3, openssl making keys, rsyslogd's check) holds none of the few
/// threads that every test's async code shares. On a 2-core machine there are two: two tests
/// waiting on children at once stopped every other test's servers and clients for as long.
public enum Program {
    /// Where the child's standard error goes.
    public enum StandardError: Sendable {
        case discard
        /// Into the same pipe as standard output, so a failure's message is in `output`.
        case merged
    }

    /// Waits on the calling thread: only for a static probe that runs once.
    @discardableResult
    public static func runBlocking(
        _ path: String, _ arguments: [String], stdin: String? = nil, standardError: StandardError = .discard
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        switch standardError {
        case .discard: process.standardError = FileHandle.nullDevice
        case .merged: process.standardError = out
        }
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readToEndRetrying()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `runBlocking` on a thread of its own.
    @discardableResult
    public static func run(
        _ path: String, _ arguments: [String], stdin: String? = nil, standardError: StandardError = .discard
    ) async throws -> (status: Int32, output: String) {
        try await onOwnThread { try runBlocking(path, arguments, stdin: stdin, standardError: standardError) }
    }
}
