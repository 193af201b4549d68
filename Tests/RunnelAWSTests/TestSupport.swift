import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelCore
import RunnelSigV4
import RunnelTestSupport
import Synchronization
import Testing

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
    /// What was recorded, then every log line with its metadata.
    static var recorded: [String] { texts.withLock { $0 } + logs.entries.map(\.description) }

    /// Also catches the moto-issued secrets given in `extra`.
    static func assertNoLeaks(extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        let all = recorded
        for secret in secrets + extra where !secret.isEmpty {
            let leaking = all.filter { $0.contains(secret) }
            #expect(leaking.isEmpty, "secret leaked into: \(leaking.first ?? "")", sourceLocation: sourceLocation)
        }
    }

    /// Every line the credential code logs, metadata included.
    static let logs = LogCapture()
    static let logger = logs.logger(label: "runnel.aws.test", level: .trace)
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
