import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RunnelCore
import RunnelForward
import RunnelNetwork
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type tcp`, `@type udp` and `@type syslog`: messages over TCP (optionally TLS) or UDP,
/// turned into events by a `MessageInterpreter`.
///
/// TCP accepts with the async `ServerBootstrap.bind` and serves each connection in a discarding
/// task group; a connection reads, frames (`MessageFramer`), interprets and emits in straight-line
/// async code, so while `emit` is suspended the connection stops reading. UDP reads datagrams
/// from one `NIOAsyncChannel`. A TCP listening socket is kept across a reload (`ListenerSockets`).
/// On graceful shutdown it stops accepting, closes every connection once what it read has been
/// emitted, and returns.
public final class SocketInput<Interpreter: MessageInterpreter>: InputPlugin, Sendable {
    public let configuration: SocketInputConfiguration
    let interpreter: Interpreter
    let sink: any EventSink
    let logger: Logger
    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    let problems = LogRateLimiter(interval: 10, reasonKey: "socket.reason", suppressedKey: "socket.suppressed")
    let bound = BoundAddress()
    /// The TCP listening socket, kept open across a reload to a configuration that listens there too.
    let lease: ListenerLease?
    /// Serves accepted connections and closes those a stopping listener never handed out.
    let acceptor = ConnectionAcceptor<StreamConnection, ByteBuffer, ByteBuffer>(channel: { $0.channel })
    let stopping = Mutex(false)

    public init(
        configuration: SocketInputConfiguration, interpreter: Interpreter, sink: any EventSink, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, listeners: ListenerSockets = .shared
    ) throws {
        self.configuration = configuration
        self.interpreter = interpreter
        self.sink = sink
        self.logger = logger
        self.group = group
        if case .tls(let tls) = configuration.transport {
            sslContext = try tls.makeServerContext()
        } else {
            sslContext = nil
        }
        // Port 0 asks for a new ephemeral port each time; only a fixed address is kept. A UDP
        // socket is bound anew by each pipeline (NIO's DatagramBootstrap does not take one that
        // is already bound from this set).
        if configuration.port == 0 || configuration.isDatagram {
            lease = nil
        } else {
            lease = listeners.reserve("tcp \(configuration.bind):\(configuration.port)")
        }
    }

    /// The port actually bound (useful with `port 0`).
    public var boundPort: Int {
        get async throws { try await bound.wait().port ?? 0 }
    }

    public func run() async throws {
        defer { lease?.release() }
        let address = try SocketAddress.makeAddressResolvingHost(configuration.bind, port: configuration.port)
        if configuration.isDatagram {
            try await runDatagrams(address)
        } else {
            try await runStream(address)
        }
    }

    var metadata: Logger.Metadata {
        ["socket.input": "\(configuration.name)", "socket.bind": "\(configuration.bind)", "socket.port": "\(configuration.port)"]
    }

    func bindFailed(_ error: any Error) -> any Error {
        bound.fail(error)
        var metadata = self.metadata
        metadata["error"] = "\(error)"
        logger.error("cannot listen", metadata: metadata)
        return error
    }

    var isStopping: Bool { stopping.withLock { $0 } }

    /// Frames become events; problems are logged (rate limited, per reason); the events are
    /// emitted, waiting while the destination is full.
    func deliver(
        _ frames: [MessageFramer.Frame], from source: MessageSource, interpreter: inout Interpreter, peer: String
    ) async {
        guard !frames.isEmpty else { return }
        var events = TaggedEvents()
        let now = EventTime.now()
        for frame in frames {
            switch frame {
            case .message(let bytes): interpreter.interpret(bytes, from: source, now: now, into: &events)
            case .tooLong(let size): events.report(.tooLong(size: size, limit: configuration.streamMessageLimit))
            case .invalidLength(let bytes): events.report(.invalidLength(String(decoding: bytes, as: UTF8.self)))
            }
        }
        for problem in events.problems {
            problems.log(
                logger, level: .warning, "\(configuration.name) input: \(problem)", reason: problem.reason,
                metadata: ["socket.input": "\(configuration.name)", "socket.peer": "\(peer)"])
        }
        for stream in events.streams {
            do {
                try await sink.emitRetrying(stream, isStopping: { self.isStopping })
            } catch {
                problems.log(
                    logger, level: .warning, "\(configuration.name) input: events not taken by the pipeline; they are lost",
                    reason: "emit_failed",
                    metadata: ["socket.input": "\(configuration.name)", "socket.events": "\(stream.count)", "error": "\(error)"])
            }
        }
    }

    func source(_ remote: SocketAddress?) async -> MessageSource {
        let address = remote?.ipAddress ?? "unknown"
        guard configuration.needsHostname else { return MessageSource(address: address) }
        return MessageSource(address: address, hostname: configuration.resolveHostname ? await HostnameResolver.resolve(remote) : address)
    }
}

extension SocketInput: ReadinessReporting {
    public func notReadyReason(stallTimeout: Double) -> String? {
        bound.current == nil ? "not listening yet" : nil
    }
}
