import Crypto
import Foundation
import RunnelCore

/// AWS Signature Version 4 for one service in one region.
///
/// Pure: the time and the credentials are arguments, nothing here reads a clock or a socket.
/// Follows "Create a signed AWS API request" (AWS IAM User Guide, Signature Version 4):
/// canonical request -> string to sign -> derived key -> signature -> Authorization header.
public struct SigV4Signer: Sendable {
    public var service: String
    public var region: String

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
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// The headers to add to the request: `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`
        /// when there is a session token, and `Host`.
        public var headers: [(name: String, value: String)]
    }

    /// Signs `request` at `date` with `credentials`.
    /// `host` should include the port when it is not the scheme's default (`localhost:4567`).
    public func sign(_ request: Request, credentials: AWSCredentials, date: Date) -> Signature {
        let amzDate = SigV4Signer.amzDateFormatter(date)
        let day = String(amzDate.prefix(8))
        let payloadHash = SHA256.hash(data: request.body).hexString

        var headers = request.headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.append(("Host", request.host)) }
        headers.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token.reveal())) }

        // Canonical headers: lower-case names, trimmed values with inner runs of spaces folded,
        // sorted by name; repeated names joined with commas.
        var grouped: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            let value = header.value.trimmingCharacters(in: .whitespaces)
                .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            grouped[name, default: []].append(value)
        }
        let sortedNames = grouped.keys.sorted()
        let canonicalHeaders = sortedNames.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = sortedNames.joined(separator: ";")

        let encodedQuery: [(String, String)] = request.query.map {
            (SigV4Signer.uriEncode($0.name, encodeSlash: true), SigV4Signer.uriEncode($0.value, encodeSlash: true))
        }
        let sortedQuery = encodedQuery.sorted { lhs, rhs in lhs.0 == rhs.0 ? lhs.1 < rhs.1 : lhs.0 < rhs.0 }
        let canonicalQuery = sortedQuery.map { "\($0.0)=\($0.1)" }.joined(separator: "&")

        let canonicalRequest = [
            request.method.uppercased(),
            SigV4Signer.canonicalPath(request.path),
            canonicalQuery,
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

        let key = signingKey(secret: credentials.secretAccessKey, day: day)
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key).hexString

        var added: [(name: String, value: String)] = [
            ("Authorization",
             "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
            ("X-Amz-Date", amzDate),
        ]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token.reveal())) }
        if !request.headers.contains(where: { $0.name.lowercased() == "host" }) { added.append(("Host", request.host)) }
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

    /// Normalizes and encodes the path as AWS does for every service but S3: empty segments
    /// and dot segments are resolved, then each segment is URI-encoded again.
    static func canonicalPath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        let encoded = segments.map { uriEncode(String($0), encodeSlash: true) }.joined(separator: "/")
        let trailing = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        return "/" + encoded + trailing
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX (upper case).
    public static func uriEncode(_ string: String, encodeSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

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
