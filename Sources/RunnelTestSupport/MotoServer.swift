import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// moto's server (Kinesis, STS and the rest of its fake AWS) on 127.0.0.1 and a free port,
/// started by a test and killed by `stop()`: the real peer for the AWS and Kinesis tests.
public final class MotoServer: @unchecked Sendable {
    // @unchecked: `process` and `input` are set up in `start` and afterwards only signalled,
    // closed and waited for in `stop()`, which Foundation's Process makes safe from any thread.
    public let port: Int
    private let process: Process
    private let input: Pipe

    /// `http://127.0.0.1:PORT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    public var endpointURL: URL { URL(string: endpoint)! }

    /// The first python3 (on PATH, then /usr/local/bin and /usr/bin) that imports `moto.server`;
    /// nil when there is none (tests that need moto are skipped with that reason).
    public static let python: String? = Python.first(importing: ["moto.server"])
    public static var isAvailable: Bool { python != nil }

    /// Runs until stdin closes (the test ends) or SIGKILL; writes the port to a file, renamed
    /// into place so the test never reads half of it. Requests are served one at a time: moto's
    /// backends do not lock, and concurrent PutRecords to one stream lose records moto answered
    /// as stored (16,000 answered, 15,925 read back from 8 threads), while Runnel sends several
    /// requests at once.
    private static let launcher = """
        import os, sys, threading
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()
        def serialized(environ, start_response):
            with lock:
                return list(app(environ, start_response))
        server = make_server("127.0.0.1", 0, serialized, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(server.port))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        sys.stdin.read()
        server.shutdown()
        """

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    /// Starts moto with `python` (default: `MotoServer.python`) and waits (up to 60 s: start-up
    /// takes seconds on a loaded machine) until it listens.
    public static func start(python: String? = nil) async throws -> MotoServer {
        guard let python = python ?? Self.python else { throw TestFailure("no python3 with moto (pip install 'moto[server]')") }
        let directory = try TemporaryDirectory(prefix: "runnel-moto")
        let portFile = directory.path("port")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", launcher, portFile]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                return MotoServer(port: port, process: process, input: input)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw TestFailure("moto did not start within 60 s (python: \(python))")
    }

    /// SIGKILL: the test process blocks most signals in its threads and a child inherits the
    /// mask, so SIGTERM would not end it.
    public func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
