import Logging
import NIOCore
import RunnelCore
import RunnelHTTPServer
import RunnelPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Fluentd's HTTP RPC on `<system> rpc_endpoint`: `GET` (or `POST`) a call's path and it is
/// answered `{"ok":true}` at once while its action runs (`RPCCall`). It lives as long as the
/// process, across reloads, as Fluentd's supervisor does: a reload that changes `rpc_endpoint`
/// is reported and takes effect at the next start.
final class RPCServer: Sendable {
    let endpoint: String
    private let pipeline: Mutex<Pipeline>
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Listens on `system.rpcEndpoint` of `pipeline`; throws, naming the endpoint, when it cannot.
    static func start(serving pipeline: Pipeline, logger: Logger) async throws -> RPCServer? {
        guard let endpoint = pipeline.system.rpcEndpoint, let (host, port) = SystemConfiguration.splitEndpoint(endpoint) else { return nil }
        let server = RPCServer(endpoint: endpoint, pipeline: pipeline, logger: logger)
        let http = HTTPServer(configuration: .init(host: host, port: port), router: server.router(enableGetDump: pipeline.system.enableGetDump), logger: logger)
        let (bound, continuation) = AsyncStream<Result<SocketAddress, any Error>>.makeStream()
        server.task.withLock {
            $0 = Task {
                do {
                    try await http.run(onBound: { continuation.yield(.success($0)) })
                } catch {
                    continuation.yield(.failure(error))
                }
                continuation.finish()
            }
        }
        for await outcome in bound {
            do {
                let address = try outcome.get()
                logger.info("RPC listening", metadata: ["rpc.endpoint": "\(endpoint)", "rpc.address": "\(address)"])
                return server
            } catch {
                throw RPCServerError(endpoint: endpoint, underlying: error)
            }
        }
        throw RPCServerError(endpoint: endpoint, underlying: nil)
    }

    private init(endpoint: String, pipeline: Pipeline, logger: Logger) {
        self.endpoint = endpoint
        self.pipeline = Mutex(pipeline)
        self.logger = logger
    }

    /// The pipeline now running (after a reload), whose outputs and configuration calls act on.
    func publish(_ next: Pipeline) {
        if next.system.rpcEndpoint != endpoint {
            logger.warning(
                "rpc_endpoint changed; the RPC keeps serving the old endpoint until Runnel restarts",
                metadata: ["rpc.endpoint": "\(endpoint)", "rpc.configured": "\(next.system.rpcEndpoint ?? "none")"])
        }
        pipeline.withLock { $0 = next }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    func router(enableGetDump: Bool) -> HTTPRouter {
        var router = HTTPRouter()
        for call in RPCCall.served(enableGetDump: enableGetDump) {
            let handler: HTTPHandler = { [self] _ in self.answer(call) }
            router.get(call.rawValue, handler)
            router.post(call.rawValue, handler)
        }
        return router
    }

    /// The running configuration as classic syntax, secrets masked.
    var configurationDump: String { pipeline.withLock { $0.root.dump(maskingSecrets: true) } }

    func answer(_ call: RPCCall) -> HTTPResponse {
        logger.debug("RPC call", metadata: ["rpc.path": "\(call.rawValue)"])
        let okBody = Array(#"{"ok":true}"#.utf8)
        switch call.action {
        case .signal(let number):
            // After the answer is on its way: a stopping signal closes this server, and a caller
            // of processes.killWorkers must still hear {"ok":true}.
            Task {
                try? await Task.sleep(for: .milliseconds(100))
                kill(getpid(), number)
            }
        case .flushThenSignal(let number):
            let outputs = pipeline.withLock { $0.outputs.map(\.plugin) }
            let logger = self.logger
            Task {
                logger.info("RPC \(call.rawValue): flushing all buffers, then stopping")
                for output in outputs { await output.flushNow() }
                kill(getpid(), number)
            }
        case .logConfiguration:
            logger.info("running configuration:\n\(configurationDump)")
        case .answerConfiguration:
            var body = Array(#"{"conf":"#.utf8)
            JSONWriter.appendString(configurationDump, to: &body)
            body += Array(#","ok":true}"#.utf8)
            return HTTPResponse(contentType: "application/json", body: body)
        }
        return HTTPResponse(contentType: "application/json", body: okBody)
    }
}

/// `rpc_endpoint` could not be served (the port is taken, the host does not resolve).
struct RPCServerError: Error, CustomStringConvertible {
    let endpoint: String
    let underlying: (any Error)?

    var description: String {
        "<system> rpc_endpoint \(endpoint): cannot listen" + (underlying.map { ": \($0)" } ?? "")
    }
}
