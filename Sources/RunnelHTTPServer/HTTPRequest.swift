import NIOCore
import NIOHTTP1

/// One request as a handler sees it: the whole body read (up to the server's
/// `maxRequestBodySize`), the target split into path and query.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target as sent (`/api/plugins.json?debug=1`).
    public var uri: String
    /// The target up to `?` (`/api/plugins.json`); what routes match.
    public var path: String
    /// The target after `?`, undecoded; nil without one.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// The client's address (Fluentd in_http's `add_remote_addr` reads it).
    public var remoteAddress: SocketAddress?

    public init(
        method: HTTPMethod, uri: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
        body: ByteBuffer = ByteBuffer(), remoteAddress: SocketAddress? = nil
    ) {
        self.method = method
        self.uri = uri
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        query = parts.count > 1 ? String(parts[1]) : nil
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    init(head: HTTPRequestHead, body: ByteBuffer, remoteAddress: SocketAddress?) {
        self.init(
            method: head.method, uri: head.uri, version: head.version, headers: head.headers, body: body,
            remoteAddress: remoteAddress)
    }
}
