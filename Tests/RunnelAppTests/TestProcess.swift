import Foundation
import RunnelTestSupport

/// A child process started by a test, stopped when the test is done with it.
final class TestProcess: @unchecked Sendable {
    // `process` is only mutated before `run()`; afterwards it is read-only apart from Foundation's own locking.
    let process = Process()
    let output: URL

    /// Starts `executable` with `arguments`; stdout and stderr go to a temporary file.
    /// `unsetting` names variables of this process' environment the child must not see.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        directory: URL? = nil, stdin: Data? = nil
    ) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : TestProcess.which(executable))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !unsetting.contains($0.key) }.merging(environment) { $1 }
        process.currentDirectoryURL = directory ?? Paths.packageRoot
        process.standardOutput = handle
        process.standardError = handle
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(stdin)
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit up to `seconds`; returns the exit status, or nil if it is still running.
    func wait(seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL after 10 s.
    func stop() async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await wait(seconds: 10) == nil { signal(SIGKILL) }
        _ = await wait(seconds: 5)
    }

    static func which(_ name: String) -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }

    /// Runs a command to completion and returns its exit status and combined output.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        timeout: Double = 120
    ) async throws -> (status: Int32, output: String) {
        let child = try TestProcess(executable, arguments, environment: environment, unsetting: unsetting)
        guard let status = await child.wait(seconds: timeout) else {
            await child.stop()
            return (-1, child.log + "\n(timed out after \(timeout) s)")
        }
        return (status, child.log)
    }
}

enum Paths {
    /// The package's root directory (this file is Tests/RunnelAppTests/TestProcess.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where `swift build` put the products: the directory of the running test bundle.
    static var binaryDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    static var runnel: String { binaryDirectory.appendingPathComponent("runnel").path }
}
