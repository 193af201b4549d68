import Foundation
import Testing

/// moto's server on 127.0.0.1 and a free port, started by a test and terminated after it.
final class MotoServer: Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe
    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Whether python3 with moto is installed (tests skip with this reason otherwise).
    static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import moto.server"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    private static let launcher = """
        import sys
        from moto.server import ThreadedMotoServer
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(server.get_host_and_port()[1]))
        import os
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        sys.stdin.read()  # until the test closes stdin or terminates us
        server.stop()
        """

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    static func start(in directory: TemporaryDirectory) async throws -> MotoServer {
        let portFile = directory.path + "/moto-port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", launcher, portFile]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<600 {  // start-up takes a few seconds on a busy machine; give up after 60 s
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                return MotoServer(port: port, process: process, input: input)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw MotoStartFailure()
    }

    struct MotoStartFailure: Error {}

    /// SIGKILL: the test process blocks most signals in its threads and the child inherits the
    /// mask, so SIGTERM would not end it.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
