import Foundation
import Logging
import RunnelSigV4

/// `<process_credentials> process` and a profile's `credential_process`: runs the command
/// (split into arguments, no shell), reads the JSON it prints (`Version` 1, `AccessKeyId`,
/// `SecretAccessKey`, `SessionToken`, `Expiration`), and runs it again ahead of expiry.
/// On failure the error carries the exit status and stderr, never stdout (it may hold keys).
public struct ProcessCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let command: String
    private let cache: ExpiringCredentials

    public init(
        command: String, environment: [String: String], timeout: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws {
        let arguments: [String]
        do {
            arguments = try CommandLineSplitter.split(command)
        } catch {
            throw RunnelAWSError.invalidConfiguration(
                source: "credential process", reason: "cannot split '\(command)' into arguments (\(error))")
        }
        guard !arguments.isEmpty else {
            throw RunnelAWSError.invalidConfiguration(source: "credential process", reason: "the command is empty")
        }
        self.command = command
        let program = arguments[0]
        self.cache = ExpiringCredentials(source: "credential process \(program)", logger: logger, now: now) {
            let result: ProcessRunner.Result
            do {
                result = try await ProcessRunner.run(arguments: arguments, environment: environment, timeout: timeout)
            } catch ProcessRunner.Failure.timedOut {
                throw RunnelAWSError.processTimedOut(command: program, seconds: Double(timeout.components.seconds))
            } catch ProcessRunner.Failure.notStarted(let reason) {
                throw RunnelAWSError.processNotStarted(command: program, reason: reason)
            }
            guard result.status == 0 else {
                let stderr = String(decoding: result.stderr.suffix(1000), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                throw RunnelAWSError.processFailed(command: program, exitCode: result.status, stderr: stderr)
            }
            return try CredentialsDocument.credentials(
                from: result.stdout, source: "credential process \(program)", requireVersion: true)
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public func invalidate() async { await cache.invalidate() }

    public var description: String { "credential process \(command)" }
}
