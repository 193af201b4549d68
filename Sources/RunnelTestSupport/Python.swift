import Foundation

/// The python3 interpreters here, for tests whose peer or oracle is a Python program.
public enum Python {
    /// Every python3 on PATH, then in /usr/local/bin and /usr/bin, resolved to the interpreter
    /// itself (a pyenv shim starts slower), without repeats.
    public static let candidates: [String] = {
        var found: [String] = []
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"] {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate), !found.contains(candidate) { found.append(candidate) }
        }
        var resolved: [String] = []
        for candidate in found {
            guard let result = try? Program.runBlocking(candidate, ["-c", "import sys; print(sys.executable)"]), result.status == 0 else { continue }
            let executable = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if !resolved.contains(executable) { resolved.append(executable) }
        }
        return resolved
    }()

    /// The first python3 that imports every one of `modules`, or nil.
    public static func first(importing modules: [String]) -> String? {
        candidates.first { candidate in
            modules.isEmpty || (try? Program.runBlocking(candidate, ["-c", "import " + modules.joined(separator: ", ")]).status) == 0
        }
    }

    /// Runs `python` with `arguments` to completion, `stdin` as its input; returns status and
    /// stdout. The wait holds no thread that async code shares (see `Program`).
    @discardableResult
    public static func run(_ python: String, _ arguments: [String], stdin: String? = nil) async throws -> (status: Int32, output: String) {
        try await Program.run(python, arguments, stdin: stdin)
    }
}
