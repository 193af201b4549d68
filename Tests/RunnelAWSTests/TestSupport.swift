import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelCore
import RunnelSigV4
import Synchronization
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { current.withLock { $0 = date } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}

/// Every secret the credential tests use, and every log line and error text they produce.
/// `Witness.assertNoLeaks()` fails if any text contains any secret.
enum Witness {
    static let secrets: [String] = [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY", "SESSIONTOKEN-static-1234567890", "ENVSECRET-abcdef0123456789",
        "ENVTOKEN-zyxwvu987654", "PROFILESECRET-qwerty", "PROFILETOKEN-asdfgh", "PROCESSSECRET-123abc",
        "PROCESSTOKEN-456def", "CONTAINERSECRET-789", "CONTAINERTOKEN-xyz", "CONTAINERAUTH-bearer-42",
        "IMDSSECRET-0000", "IMDSTOKEN-1111", "IMDS-SESSION-TOKEN-2222", "WEBIDENTITY-jwt-eyJhbGciOi",
        "FAKESTS-SECRET-3333", "FAKESTS-TOKEN-4444", "SOURCE-SECRET-5555",
    ]
    private static let texts = Mutex<[String]>([])

    static func record(_ text: String) { texts.withLock { $0.append(text) } }
    static func record(error: any Error) {
        record("\(error)")
        record(String(reflecting: error))
        record((error as NSError).localizedDescription)
    }
    static var recorded: [String] { texts.withLock { $0 } }

    /// Also catches the moto-issued secrets given in `extra`.
    static func assertNoLeaks(extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        let all = recorded
        for secret in secrets + extra where !secret.isEmpty {
            let leaking = all.filter { $0.contains(secret) }
            #expect(leaking.isEmpty, "secret leaked into: \(leaking.first ?? "")", sourceLocation: sourceLocation)
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "runnel.aws.test") { label in WitnessLogHandler(label: label) }
        logger.logLevel = .trace
        return logger
    }()
}

/// swift-log handler that writes each line, metadata included, into the witness.
struct WitnessLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        Witness.record("\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }
}

/// Runs `body`, recording any error it throws into the witness before rethrowing.
func witnessed<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        Witness.record(error: error)
        throw error
    }
}

/// The error `body` throws (recorded in the witness), or nil.
func caught<T>(_ body: () async throws -> T) async -> (any Error)? {
    do {
        _ = try await witnessed(body)
        return nil
    } catch {
        return error
    }
}

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory: Sendable {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "runnel-aws-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }
}

/// An environment that keeps tests off the network: no IMDS beyond loopback, no real files.
func isolatedEnvironment(_ directory: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String: String] {
    var environment: [String: String] = [
        "HOME": directory.path,
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        "AWS_EC2_METADATA_DISABLED": "true",
    ]
    environment.merge(extra) { $1 }
    return environment
}

func iso8601(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

let sharedHTTPClient = HTTPClient.shared
