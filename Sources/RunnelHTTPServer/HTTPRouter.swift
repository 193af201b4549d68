import NIOHTTP1

/// Answers one request.
public typealias HTTPHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// Handlers by exact path and method. A path with no route goes to `fallback` (Fluentd's in_http
/// takes any path as the tag), or is answered 404; a path routed for other methods only is
/// answered 405 with `Allow`.
public struct HTTPRouter: Sendable {
    /// What a request resolves to.
    public enum Match: Sendable {
        case handler(HTTPHandler)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    private var routes: [String: [(method: HTTPMethod, handler: HTTPHandler)]] = [:]
    /// Answers requests for paths without a route; nil answers them 404.
    public var fallback: HTTPHandler?

    public init() {}

    /// Routes `method` requests for `path` to `handler`, replacing an earlier route for both.
    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping HTTPHandler) {
        var methods = routes[path, default: []]
        methods.removeAll { $0.method == method }
        methods.append((method, handler))
        routes[path] = methods
    }

    public mutating func get(_ path: String, _ handler: @escaping HTTPHandler) { add(.GET, path, handler) }

    public mutating func post(_ path: String, _ handler: @escaping HTTPHandler) { add(.POST, path, handler) }

    public func match(_ request: HTTPRequest) -> Match {
        guard let methods = routes[request.path] else { return fallback.map(Match.handler) ?? .notFound }
        if let route = methods.first(where: { $0.method == request.method }) { return .handler(route.handler) }
        return .methodNotAllowed(allowed: methods.map(\.method))
    }
}
