import NIOCore
import NIOHTTP1

/// What a handler answers. The server adds `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// Close the connection once this is written, even if the client asked to keep it.
    public var closesConnection = false

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(), closesConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closesConnection = closesConnection
    }

    public init(status: HTTPResponseStatus = .ok, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: ["Content-Type": contentType], body: ByteBuffer(bytes: body))
    }

    /// A `text/plain` response.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain", body: Array(text.utf8))
    }
}
