import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Synchronization

/// Runs a program without a shell, collects stdout and stderr, and gives up after a timeout
/// (terminating the program). Output is read by two dedicated threads, never on the
/// cooperative pool.
enum ProcessRunner {
    /// One read(2) of a pipe, retrying EINTR; empty at end of file or on an error. (Foundation's
    /// `availableData` ends the process when a read is interrupted.)
    static func readSome(_ descriptor: Int32) -> Data {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if n >= 0 { return Data(buffer[0..<n]) }
            if errno != EINTR { return Data() }
        }
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    enum Failure: Error {
        case notStarted(String)
        case timedOut
    }

    /// Resolves `program` on PATH (from `environment`) unless it contains a slash.
    static func resolve(_ program: String, environment: [String: String]) -> String? {
        if program.contains("/") { return program }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(
        arguments: [String], environment: [String: String], timeout: Duration, maximumOutput: Int = 1 << 20
    ) async throws -> Result {
        guard let program = arguments.first, let executable = resolve(program, environment: environment) else {
            throw Failure.notStarted("\(arguments.first ?? "") not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice

        let collector = Collector(maximumOutput: maximumOutput)
        // One dedicated reader thread per stream: blocking reads never run on the cooperative pool.
        for (pipe, stream) in [(stdoutPipe, Collector.Stream.stdout), (stderrPipe, Collector.Stream.stderr)] {
            let handle = pipe.fileHandleForReading
            let reader = Thread {
                while true {
                    let data = ProcessRunner.readSome(handle.fileDescriptor)
                    collector.received(data, stream: stream)
                    if data.isEmpty { break }
                }
            }
            reader.name = "runnel-credential-process-reader"
            reader.start()
        }
        process.terminationHandler = { process in collector.exited(process.terminationStatus) }

        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        collector.setContinuation(continuation)
                        do {
                            try process.run()
                        } catch {
                            collector.fail(Failure.notStarted("\(error.localizedDescription)"))
                        }
                    }
                } onCancel: {
                    collector.fail(CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                // SIGKILL: the program may have inherited a mask that blocks SIGTERM (threads of
                // this process block most signals), and a hung helper must not outlive the timeout.
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                collector.fail(Failure.timedOut)
                throw Failure.timedOut
            }
            return result
        }
    }

    /// Gathers the two streams and the exit status; resumes the waiting task once, when all three
    /// are in or on failure. Shared with the reader threads and Foundation's termination handler, hence the Mutex.
    final class Collector: Sendable {
        enum Stream { case stdout, stderr }
        private struct State {
            var stdout = Data()
            var stderr = Data()
            var stdoutClosed = false
            var stderrClosed = false
            var status: Int32?
            var continuation: CheckedContinuation<Result?, any Error>?
            var finished = false
        }

        private let state = Mutex(State())
        private let maximumOutput: Int

        init(maximumOutput: Int) { self.maximumOutput = maximumOutput }

        func setContinuation(_ continuation: CheckedContinuation<Result?, any Error>) {
            let ready: Result?? = state.withLock { state in
                if state.finished { return .some(nil) }
                state.continuation = continuation
                return nil
            }
            if case .some(.none) = ready { continuation.resume(throwing: CancellationError()) }
        }

        func received(_ data: Data, stream: Stream) {
            finishIfDone { state in
                switch stream {
                case .stdout:
                    if data.isEmpty { state.stdoutClosed = true } else if state.stdout.count < maximumOutput { state.stdout.append(data) }
                case .stderr:
                    if data.isEmpty { state.stderrClosed = true } else if state.stderr.count < maximumOutput { state.stderr.append(data) }
                }
            }
        }

        func exited(_ status: Int32) {
            finishIfDone { $0.status = status }
            // A grandchild may keep the pipes open after the program exited: what was written
            // before the exit has arrived by now, so stop waiting for end-of-file.
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(500)) { [self] in
                finishIfDone { state in
                    state.stdoutClosed = true
                    state.stderrClosed = true
                }
            }
        }

        func fail(_ error: any Error) {
            let continuation: CheckedContinuation<Result?, any Error>? = state.withLock { state in
                guard !state.finished else { return nil }
                state.finished = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(throwing: error)
        }

        private func finishIfDone(_ update: (inout State) -> Void) {
            let ready: (CheckedContinuation<Result?, any Error>, Result)? = state.withLock { state in
                update(&state)
                guard !state.finished, state.stdoutClosed, state.stderrClosed, let status = state.status,
                    let continuation = state.continuation
                else { return nil }
                state.finished = true
                state.continuation = nil
                return (continuation, Result(status: status, stdout: state.stdout, stderr: state.stderr))
            }
            if let (continuation, result) = ready { continuation.resume(returning: result) }
        }
    }
}
