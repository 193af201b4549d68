import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, its output in a file, stopped only by the test.
struct ChildProcess {
    let pid: pid_t
    let outputPath: String

    /// The crash probe built next to the test bundle (`swift build --build-tests` builds it: the
    /// test target depends on it), or nil with the places looked at.
    static func crashProbe() -> Result<String, ProbeMissing> {
        var candidates: [String] = []
        if let bundle = Bundle.main.executableURL?.deletingLastPathComponent() {
            candidates.append(bundle.appendingPathComponent("runnel-buffer-crash-probe").path)
        }
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(argv0.appendingPathComponent("runnel-buffer-crash-probe").path)
        // Tests/RunnelBufferTests/ChildProcess.swift -> package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for config in ["debug", "release"] {
            candidates.append(root.appendingPathComponent(".build/\(config)/runnel-buffer-crash-probe").path)
        }
        if let found = candidates.first(where: { access($0, X_OK) == 0 }) { return .success(found) }
        return .failure(ProbeMissing(looked: candidates))
    }

    struct ProbeMissing: Error, CustomStringConvertible {
        var looked: [String]
        var description: String {
            "runnel-buffer-crash-probe not found (run `swift build --build-tests`); looked at \(looked.joined(separator: ", "))"
        }
    }

    /// Starts `path` with `arguments`, stdout and stderr appended to `outputPath`, with an empty
    /// signal mask (the test process may block signals its children would inherit).
    static func spawn(_ path: String, _ arguments: [String], outputPath: String) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO) }
        return ChildProcess(pid: pid, outputPath: outputPath)
    }

    /// Whether the child still runs (reaps it if it ended; `exitStatus` then says how).
    func isRunning() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// SIGKILL, then reap.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Waits for the child to exit; returns the raw wait status. Polls, so that the wait (a
    /// drain takes seconds) holds none of the threads the other tests' async code shares.
    func exited() async -> Int32 {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
}

/// Size of a file, 0 when it does not exist.
func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
