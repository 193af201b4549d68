import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RunnelCompression
import RunnelCore
import RunnelForward
import RunnelHTTPServer
import RunnelPipeline
import ServiceLifecycle

/// `<source> @type http`: events over HTTP POST, answered after they are in the buffer.
///
/// Each request is read whole (up to `body_size_limit`), turned into events by
/// `HTTPRequestReader` and emitted; the answer waits for the emit, so a 2xx means the events
/// are held as the output promises (written, and fsynced with `durable`). A full buffer is
/// answered 503 with `Retry-After`, a request that cannot be read 400 naming the problem; other
/// requests on the same connection go on.
public final class HTTPInput: InputPlugin, Sendable {
    public let configuration: HTTPInputConfiguration
    let sink: any EventSink
    let logger: Logger
    let reader: HTTPRequestReader
    let server: HTTPServer
    let lease: ListenerLease?
    private let bound = BoundAddress()
    let limiter = LogRateLimiter(interval: 10, reasonKey: "http.reason", suppressedKey: "http.suppressed")

    /// Fluentd's 1x1 transparent GIF for `respond_with_empty_img`.
    static let emptyGIF: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0xff, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x2c,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
    ]

    public init(
        configuration: HTTPInputConfiguration, sink: any EventSink, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, listeners: ListenerSockets = .shared
    ) throws {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
        self.reader = HTTPRequestReader(configuration: configuration)
        var serverConfiguration = HTTPServer.Configuration(host: configuration.bind, port: configuration.port)
        serverConfiguration.maxRequestBodySize = configuration.bodySizeLimit
        serverConfiguration.idleTimeout = .nanoseconds(Int64(configuration.keepaliveTimeout * 1e9))
        serverConfiguration.backlog = Int32(clamping: configuration.backlog)
        serverConfiguration.tls = try configuration.tls?.makeServerContext()
        if configuration.port != 0 {
            // Port 0 asks for a new ephemeral port each time; only a fixed address is kept.
            let lease = listeners.reserve("tcp \(configuration.bind):\(configuration.port)")
            let (host, port, backlog) = (configuration.bind, configuration.port, Int32(clamping: configuration.backlog))
            serverConfiguration.listeningSocket = {
                try lease.socket(backlog: backlog) {
                    try ListeningSocket.open(try SocketAddress.makeAddressResolvingHost(host, port: port), backlog: backlog)
                }
            }
            self.lease = lease
        } else {
            lease = nil
        }
        var router = HTTPRouter()
        let handler = Handler(configuration: configuration, reader: reader, sink: sink, logger: logger, limiter: limiter)
        router.fallback = { request in await handler.respond(to: request) }
        server = HTTPServer(configuration: serverConfiguration, router: router, logger: logger, group: group)
    }

    /// The port the input listens on, once it does (the configured one, or the one chosen for port 0).
    public var boundPort: Int {
        get async throws { try await bound.wait().port ?? 0 }
    }

    public func run() async throws {
        defer { lease?.release() }
        do {
            try await server.run { address in
                self.bound.set(address)
                self.logger.info("listening for HTTP requests", metadata: ["http.address": "\(address)"])
            }
        } catch {
            bound.fail(error)
            logger.error("cannot listen for HTTP requests", metadata: ["http.bind": "\(configuration.bind):\(configuration.port)", "error": "\(error)"])
            throw error
        }
        logger.info("HTTP input stopped")
    }

    /// What every request goes through.
    struct Handler: Sendable {
        let configuration: HTTPInputConfiguration
        let reader: HTTPRequestReader
        let sink: any EventSink
        let logger: Logger
        let limiter: LogRateLimiter

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            switch request.method {
            case .GET:
                // Health checks (Azure App Service's, say) get 200, as Fluentd answers them.
                return HTTPResponse(status: .ok, closesConnection: true)
            case .OPTIONS:
                return preflight(request)
            default:
                break
            }
            let origin = request.headers.first(name: "origin")
            if let origins = configuration.corsAllowOrigins, !origins.contains("*"), !Self.allows(origins, origin) {
                return HTTPResponse(status: .forbidden, closesConnection: true)
            }
            var response = await accept(request)
            if let origins = configuration.corsAllowOrigins {
                if origins.contains("*") {
                    response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: "*")
                } else if let origin, Self.allows(origins, origin) {
                    response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: origin)
                    if configuration.corsAllowCredentials {
                        response.headers.replaceOrAdd(name: "Access-Control-Allow-Credentials", value: "true")
                    }
                }
            }
            return response
        }

        func accept(_ request: HTTPRequest) async -> HTTPResponse {
            let events: HTTPRequestReader.Events
            do {
                events = try reader.events(request, body: try decodedBody(request), now: .now())
            } catch {
                if configuration.dumpErrorLog {
                    limiter.log(
                        logger, level: .error, "failed to process request", reason: "bad request",
                        metadata: ["http.path": "\(request.path)", "error": "\(error)"])
                }
                return .text("400 Bad Request\n\(error)\n", status: .badRequest)
            }
            do {
                for stream in events.streams { try await sink.emit(stream) }
            } catch let error as PipelineError where error.isRetryable {
                if configuration.dumpErrorLog {
                    limiter.log(
                        logger, level: .warning, "failed to emit data", reason: "buffer full", metadata: ["http.path": "\(request.path)", "error": "\(error)"])
                }
                var response = HTTPResponse.text("503 Service Unavailable\n\(error)\n", status: .serviceUnavailable)
                response.headers.add(name: "Retry-After", value: "1")
                return response
            } catch {
                if configuration.dumpErrorLog {
                    limiter.log(
                        logger, level: .error, "failed to emit data", reason: "emit failed", metadata: ["http.path": "\(request.path)", "error": "\(error)"])
                }
                return .text("500 Internal Server Error\n\(error)\n", status: .internalServerError)
            }
            if configuration.respondWithEmptyImage {
                return HTTPResponse(status: .ok, contentType: "image/gif; charset=utf-8", body: HTTPInput.emptyGIF)
            }
            if configuration.use204Response { return HTTPResponse(status: .noContent) }
            return HTTPResponse(status: .ok, contentType: "text/plain", body: [])
        }

        /// The body after `Content-Encoding: gzip` or `deflate`, never larger than `body_size_limit`.
        func decodedBody(_ request: HTTPRequest) throws -> [UInt8] {
            let body = request.body.readableBytesView
            switch request.headers.first(name: "content-encoding")?.lowercased() {
            case "gzip"?, "x-gzip"?, "deflate"?:
                let format: Zlib.Format = request.headers.first(name: "content-encoding")?.lowercased() == "deflate" ? .zlib : .gzip
                do {
                    return try body.withUnsafeBytes { try Zlib.decompress($0, as: format, limit: configuration.bodySizeLimit) }
                } catch {
                    throw HTTPInputProblem("the body cannot be decoded as its Content-Encoding says: \(error)")
                }
            case nil, "identity"?, ""?:
                return Array(body)
            case let other?:
                throw HTTPInputProblem("Content-Encoding '\(other)' is not supported; send gzip, deflate or none")
            }
        }

        /// A CORS preflight: 403 unless CORS is on, the method asked for is POST and the origin is allowed.
        func preflight(_ request: HTTPRequest) -> HTTPResponse {
            guard let origins = configuration.corsAllowOrigins, request.headers.first(name: "access-control-request-method") == "POST" else {
                return HTTPResponse(status: .forbidden, closesConnection: true)
            }
            var headers: HTTPHeaders = [
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": request.headers.first(name: "access-control-request-headers") ?? "",
            ]
            let origin = request.headers.first(name: "origin")
            if origins.contains("*") {
                headers.add(name: "Access-Control-Allow-Origin", value: "*")
            } else if let origin, Self.allows(origins, origin) {
                headers.add(name: "Access-Control-Allow-Origin", value: origin)
                if configuration.corsAllowCredentials { headers.add(name: "Access-Control-Allow-Credentials", value: "true") }
            } else {
                return HTTPResponse(status: .forbidden, closesConnection: true)
            }
            return HTTPResponse(status: .ok, headers: headers, closesConnection: true)
        }

        /// An origin listed, or matching a listed `prefix*suffix` pattern.
        static func allows(_ origins: [String], _ origin: String?) -> Bool {
            guard let origin else { return false }
            if origins.contains(origin) { return true }
            return origins.contains { pattern in
                guard !pattern.isEmpty, let star = pattern.firstIndex(of: "*") else { return false }
                let (start, end) = (pattern[..<star], pattern[pattern.index(after: star)...])
                return origin.hasPrefix(start) && origin.hasSuffix(end) && origin.count >= start.count + end.count
            }
        }
    }
}

extension HTTPInput: ReadinessReporting {
    public func notReadyReason(stallTimeout: Double) -> String? {
        bound.current == nil ? "not listening yet" : nil
    }
}

/// The factory RunnelApp registers for `<source> @type http`.
public enum HTTPInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        try HTTPInput(configuration: try HTTPInputConfiguration(context.element), sink: context.router, logger: context.logger)
    }
}
