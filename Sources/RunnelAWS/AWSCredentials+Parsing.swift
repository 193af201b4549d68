import Foundation
import RunnelCore
import RunnelSigV4

/// The JSON shape that `credential_process`, the container endpoint and IMDS all answer with
/// (field names differ only in `SessionToken`/`Token`).
struct CredentialsDocument: Decodable {
    var Version: Int?
    var Code: String?
    var Message: String?
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var SessionToken: String?
    var Token: String?
    var Expiration: String?

    /// Parses `data` into credentials; errors name the source but never echo the document.
    static func credentials(from data: Data, source: String, requireVersion: Bool = false) throws -> AWSCredentials {
        let document: CredentialsDocument
        do {
            document = try JSONDecoder().decode(CredentialsDocument.self, from: data)
        } catch {
            throw RunnelAWSError.invalidResponse(source: source, reason: "not a JSON credentials object (\(data.count) bytes)")
        }
        if requireVersion && document.Version != 1 {
            throw RunnelAWSError.invalidResponse(
                source: source, reason: "\"Version\" is \(document.Version.map(String.init) ?? "missing"); expected 1")
        }
        if let code = document.Code, code != "Success" {
            throw RunnelAWSError.invalidResponse(source: source, reason: "Code \(code): \(document.Message ?? "")")
        }
        guard let keyID = document.AccessKeyId, !keyID.isEmpty else {
            throw RunnelAWSError.invalidResponse(source: source, reason: "\"AccessKeyId\" is missing")
        }
        guard let secret = document.SecretAccessKey, !secret.isEmpty else {
            throw RunnelAWSError.invalidResponse(source: source, reason: "\"SecretAccessKey\" is missing")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = AWSDate.parse(text) else {
                throw RunnelAWSError.invalidResponse(source: source, reason: "\"Expiration\" is not an ISO 8601 time: \(text)")
            }
            expiration = date
        }
        let token = document.SessionToken ?? document.Token
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: Secret(secret),
            sessionToken: token.flatMap { $0.isEmpty ? nil : Secret($0) }, expiration: expiration)
    }
}

/// ISO 8601 times as AWS writes them (`2026-01-01T00:00:00Z`, with or without fractional seconds).
enum AWSDate {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
