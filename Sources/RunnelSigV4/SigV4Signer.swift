import Crypto
import Foundation
import RunnelCore

/// AWS Signature Version 4 for one service in one region.
///
/// Pure: the time and the credentials are arguments, nothing here reads a clock or a socket.
/// Follows "Create a signed AWS API request" (AWS IAM User Guide, Signature Version 4):
/// canonical request -> string to sign -> derived key -> signature -> Authorization header.
/// Checked against botocore's `SigV4Auth` by the fixtures `scripts/gen-sigv4-fixtures.py` writes.
///
/// The derived signing key is cached per secret and day (region and service are fixed per
/// signer), so a signer shared by many requests does four HMACs less per request.
public struct SigV4Signer: Sendable {
    public var service: String
    public var region: String
    private let keyCache = SigningKeyCache()

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    /// A request to sign. `path` is the URI path as it will be sent (already percent-encoded
    /// where needed); `query` pairs are raw and are encoded here.
    public struct Request: Sendable {
        public var method: String
        public var host: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(
            method: String, host: String, path: String = "/", query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)] = [], body: [UInt8] = []
        ) {
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// The intermediate products, exposed so tests can compare each with an independent signer.
    /// `description` shows neither the signature nor the session token.
    public struct Signature: Sendable, CustomStringConvertible {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// The headers to add to the request: `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`
        /// when there is a session token, and `Host`.
        public var headers: [(name: String, value: String)]

        /// The `Authorization` header's value.
        public var authorization: String { headers.first { $0.name == "Authorization" }?.value ?? "" }

        public var description: String {
            "SigV4Signer.Signature(signedHeaders: \(headers.map(\.name).joined(separator: ",")), <redacted>)"
        }
    }

    /// Signs `request` at `date` with `credentials`.
    /// `host` should include the port when it is not the scheme's default (`localhost:4567`);
    /// `SigV4Signer.hostHeader(host:port:scheme:)` builds it as AWS clients do.
    public func sign(_ request: Request, credentials: AWSCredentials, date: Date) -> Signature {
        let amzDate = SigV4Signer.amzDateFormatter(date)
        let day = String(amzDate.prefix(8))

        // A retried request may carry the headers of an earlier signature: drop them.
        var headers = request.headers.filter {
            !SigV4Signer.replacedHeaders.contains($0.name.lowercased())
        }
        let hasHost = headers.contains { $0.name.lowercased() == "host" }
        if !hasHost { headers.append(("Host", request.host)) }
        headers.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token.reveal())) }

        let payloadHash =
            headers.last { $0.name.lowercased() == "x-amz-content-sha256" }?.value
            ?? SHA256.hash(data: request.body).hexString
        let (canonicalHeaders, signedHeaders) = SigV4Signer.canonicalHeaders(headers)

        let canonicalRequest = [
            request.method.uppercased(),
            SigV4Signer.canonicalPath(request.path),
            SigV4Signer.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope,
            SHA256.hash(data: Array(canonicalRequest.utf8)).hexString,
        ].joined(separator: "\n")

        let key = keyCache.key(secret: credentials.secretAccessKey, day: day) {
            signingKey(secret: credentials.secretAccessKey, day: day)
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key).hexString

        var added: [(name: String, value: String)] = [
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ),
            ("X-Amz-Date", amzDate),
        ]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token.reveal())) }
        if !hasHost { added.append(("Host", request.host)) }
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: added)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    public func signingKey(secret: Secret, day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret.reveal()).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Headers a new signature replaces.
    static let replacedHeaders: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, without a DateFormatter (they are slow and not Sendable).
    public static func amzDateFormatter(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, as SigV4 writes hashes and signatures.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
