import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelCore
import RunnelSigV4
import Synchronization

@testable import RunnelKinesis

/// Credentials that never change, or change once after `invalidate()`.
final class StaticCredentialProvider: CredentialProvider {
    let tokens: [String?]
    let state = Mutex((index: 0, invalidations: 0))

    init(tokens: [String?] = [nil]) { self.tokens = tokens }

    func credentials() async throws -> AWSCredentials {
        let index = state.withLock { $0.index }
        return AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            sessionToken: tokens[min(index, tokens.count - 1)].map(Secret.init))
    }

    func invalidate() async {
        state.withLock {
            $0.index += 1
            $0.invalidations += 1
        }
    }

    var invalidations: Int { state.withLock { $0.invalidations } }
}

/// A clock whose sleeps return at once, advancing its time and remembering each wait.
final class RecordingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex((now: Instant(offset: .zero), sleeps: [Duration]()))

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.sleeps.append($0.now.duration(to: deadline))
            $0.now = deadline
        }
    }
}

/// Builds a chunk from records.
func makeChunk(
    _ records: [MessagePackValue], tag: String = "app.test", time: EventTime = EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789),
    delivered: EntrySet = EntrySet()
) -> ChunkToSend {
    var builder = EventStreamBuilder(tag: tag)
    for record in records { builder.append(time: time, record: record) }
    let stream = builder.build()
    return ChunkToSend(
        id: "test", metadata: ChunkMetadata(tag: tag), entries: stream.entries, count: stream.count, delivered: delivered)
}

/// Formats one record with `formatter`, as a String.
func formatted(_ formatter: RecordFormatter, _ record: MessagePackValue, tag: String = "app.test",
               time: EventTime = EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789)) throws -> [UInt8] {
    var formatter = formatter
    var out: [UInt8] = []
    try MessagePackReader.withReader(record.encoded) { reader in
        try formatter.append(tag: tag, time: time, record: reader, to: &out)
    }
    return out
}

enum TestPaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let endpointScript = repository.appendingPathComponent("scripts/kinesis-test-endpoint.py").path

    /// A python3 for the stdlib-only endpoint: the first on PATH, else /usr/bin/python3.
    static var python: String? { pythonCandidates.first }

    static let pythonCandidates: [String] = {
        var found: [String] = []
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories: [String] = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"]
        for directory in directories {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate), !found.contains(candidate) { found.append(candidate) }
        }
        // Resolve shims (pyenv) to the interpreter itself: faster to start.
        return found.compactMap { candidate in
            guard let result = try? runPython(candidate, ["-c", "import sys; print(sys.executable)"]), result.status == 0 else {
                return nil
            }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }()

    /// The first python3 that can import every one of `modules`.
    static func python(with modules: [String]) -> String? {
        pythonCandidates.first { candidate in
            (try? runPython(candidate, ["-c", "import " + modules.joined(separator: ", ")]).status) == 0
        }
    }
}

/// Runs a program to completion; returns status and stdout.
@discardableResult
func runPython(_ python: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A server subprocess that prints its port on its first line of stdout.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: the Process is only started in init and terminated in stop(), from one test.
    let process: Process
    let port: Int

    init(executable: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0a { break }
            line.append(byte.first!)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw TestFailure("server did not print a port: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// SIGKILL: children of the test process inherit a signal mask with SIGTERM blocked.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The fault-injecting endpoint of scripts/kinesis-test-endpoint.py.
final class TestEndpoint: Sendable {
    let server: ServerProcess
    let httpClient: HTTPClient
    var port: Int { server.port }
    var url: String { "http://127.0.0.1:\(port)" }

    init(arguments: [String] = [], httpClient: HTTPClient) throws {
        guard let python = TestPaths.python else { throw TestFailure("python3 not found") }
        server = try ServerProcess(executable: python, arguments: [TestPaths.endpointScript, "--keep-records"] + arguments)
        self.httpClient = httpClient
    }

    func control(_ json: String) async throws {
        var request = HTTPClientRequest(url: url + "/_control")
        request.method = .POST
        request.body = .bytes(Array(json.utf8))
        _ = try await httpClient.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
    }

    func get(_ path: String) async throws -> Any {
        let response = try await httpClient.execute(HTTPClientRequest(url: url + path), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        return try JSONSerialization.jsonObject(with: Data(buffer: body))
    }

    func stats() async throws -> [String: Any] { try await get("/stats") as! [String: Any] }

    /// Accepted records: (stream, partition key, data).
    func records() async throws -> [(stream: String, key: String?, data: [UInt8])] {
        let list = try await get("/_records") as! [[String: Any]]
        return list.map {
            ($0["stream"] as! String, $0["key"] as? String, Array(Data(base64Encoded: $0["data"] as! String)!))
        }
    }

    func stop() { server.stop() }
}

func testLogger() -> Logger {
    var logger = Logger(label: "kinesis-test")
    logger.logLevel = .critical
    return logger
}

import NIOCore
extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
