import Logging
import NIOPosix
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type tail` (Fluentd's in_tail): follows files, survives rotation and restarts
/// (pos_file), and emits batches of parsed lines to the router. All file I/O and parsing run on
/// NIO's thread pool; while `emit` is suspended (a full buffer) no more is read.
public final class TailInputPlugin: InputPlugin {
    public let configuration: TailInputConfiguration
    let parser: any LineParser
    let router: any EventSink
    let logger: Logger
    let threadPool: NIOThreadPool
    /// Monotonic seconds: rotate_wait, refresh_interval, flush intervals.
    let clock: @Sendable () -> Double
    public let unmatchedLines = LogRateLimiter()
    /// Files opened, closed and rotated, reads throttled (fluent-plugin-prometheus' tail monitor reads them).
    public let fileCounters = TailFileCounters()
    let permissionWarnings = LogRateLimiter(interval: 3600)
    /// How many passes of the loop (refresh when due, then a poll of every watcher) have finished:
    /// lets tests wait until the tailer has seen the files instead of sleeping and hoping.
    let completedTicks = Atomic<Int>(0)

    public init(
        configuration: TailInputConfiguration, parser: any LineParser, router: any EventSink, logger: Logger,
        threadPool: NIOThreadPool = .singleton, clock: @escaping @Sendable () -> Double = MonotonicClock.seconds
    ) {
        self.configuration = configuration
        self.parser = parser
        self.router = router
        self.logger = logger
        self.threadPool = threadPool
        self.clock = clock
    }

    /// The factory RunnelApp registers as `tail`.
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        var configuration = try TailInputConfiguration(context.element)
        configuration.posFilePermission = context.system.filePermission
        let parser = try ParserRegistry.makeParser(pluginSection: context.element)
        return TailInputPlugin(configuration: configuration, parser: parser, router: context.router, logger: context.logger)
    }

    public func run() async throws {
        let wakeups = WakeupSource(interval: configuration.watchInterval, useInotify: configuration.enableStatWatcher)
        defer { wakeups.stop() }
        let posFile: PosFile? = try await configuration.posFile.asyncMap { path in
            try await threadPool.runIfActive { [configuration] in try PosFile(path: path, permission: configuration.posFilePermission) }
        }
        var loop = TailLoop(plugin: self, posFile: posFile, wakeups: wakeups)
        try await withGracefulShutdownHandler {
            try await loop.run()
        } onGracefulShutdown: {
            wakeups.stop()
        }
        try await loop.finish()
    }

    /// Sends a batch on; retries while the buffer refuses it with a retryable error.
    func emit(_ stream: EventStream) async throws {
        try await router.emitRetrying(stream)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
