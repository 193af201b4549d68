/// The canonical forms of the request's parts, as botocore's `SigV4Auth` builds them
/// (the reference the fixtures are generated with).
extension SigV4Signer {
    /// Hop-by-hop and client headers AWS clients leave out of the signature (botocore's
    /// `SIGNED_HEADERS_BLACKLIST`): proxies may change them.
    public static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Canonical headers (lower-case names, sorted; values trimmed with inner whitespace runs
    /// folded to one space; repeated names joined with commas) and the signed-headers list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var grouped: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if unsignedHeaders.contains(name) { continue }
            let value = header.value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            grouped[name, default: []].append(value)
        }
        let sortedNames = grouped.keys.sorted()
        let canonical = sortedNames.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, sortedNames.joined(separator: ";"))
    }

    /// Encoded `name=value` pairs sorted by encoded name, then encoded value (repeated keys stay).
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded = query.map { (uriEncode($0.name, encodeSlash: true), uriEncode($0.value, encodeSlash: true)) }
        let sorted = encoded.sorted { lhs, rhs in
            lhs.0 == rhs.0 ? lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8) : lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
        }
        return sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// The query string to send: the same encoding as the canonical query, in the given order.
    public static func encodedQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { "\(uriEncode($0.name, encodeSlash: true))=\(uriEncode($0.value, encodeSlash: true))" }
            .joined(separator: "&")
    }

    /// Normalizes and encodes the path as AWS does for every service but S3: empty segments
    /// and dot segments are resolved (RFC 3986 5.2.4), then each segment is URI-encoded again.
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
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The `Host` header AWS clients send and sign: the host in lower case, with the port only
    /// when it is not the scheme's default (`localhost:4567`, `kinesis.us-east-1.amazonaws.com`).
    public static func hostHeader(host: String, port: Int?, scheme: String) -> String {
        var name = host.lowercased()
        if name.contains(":") && !name.hasPrefix("[") { name = "[\(name)]" }  // IPv6 literal
        let defaultPort = scheme.lowercased() == "http" ? 80 : 443
        guard let port, port != defaultPort else { return name }
        return "\(name):\(port)"
    }
}
