import Logging
import NIOPosix
import RunnelConfig
import RunnelCore
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<source> @type systemd` (fluent-plugin-systemd's in_systemd): reads the systemd journal with
/// sd-journal, emits each batch of entries as one event stream, then records the cursor of the
/// last entry emitted in the `<storage>` file, so a restart resumes after it (at least once: an
/// entry is never skipped, and after a crash only the last batch may come again).
///
/// Every sd-journal call and every storage write runs on a thread of the input's own, never on
/// the cooperative pool or an event loop: `sd_journal_wait` blocks that thread while the journal
/// is quiet.
public final class SystemdInputPlugin: InputPlugin {
    public let configuration: SystemdInputConfiguration
    let router: any EventSink
    let logger: Logger
    /// Monotonic seconds, for `autosave_interval` and reopen back-off.
    let clock: @Sendable () -> Double
    let stopping = Atomic<Bool>(false)
    /// Batches emitted so far: lets tests wait for the input instead of sleeping.
    let emittedBatches = Atomic<Int>(0)
    /// How long one `sd_journal_wait` blocks before the loop looks at `stopping` again.
    static let waitMicroseconds: UInt64 = 250_000
    static let maxBatchBytes = 4 * 1024 * 1024

    public init(
        configuration: SystemdInputConfiguration, router: any EventSink, logger: Logger,
        clock: @escaping @Sendable () -> Double = MonotonicClock.seconds
    ) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.clock = clock
    }

    /// The factory RunnelApp registers as `systemd`.
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let (configuration, warnings) = try SystemdInputConfiguration.read(
            context.element, pluginID: context.element.rawValue("@id"), rootDirectory: context.system.rootDirectory)
        for warning in warnings { context.logger.warning("\(warning)") }
        if configuration.storage.path == nil {
            context.logger.info("<storage> has no path and the source no @id with <system> root_dir: the journal cursor is kept in memory only")
        }
        return SystemdInputPlugin(configuration: configuration, router: context.router, logger: context.logger)
    }

    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            try await withGracefulShutdownHandler {
                try await self.read(on: thread)
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
            }
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
        try await thread.shutdownGracefully()
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) || Task.isCancelled }

    func read(on thread: NIOThreadPool) async throws {
        let storage = CursorStorage(configuration: configuration.storage)
        if let warning = try await thread.runIfActive({ try storage.load() }) {
            logger.warning("\(warning)")
        }
        guard let reader = try await open(on: thread, storage: storage) else { return }
        var lastSave = clock()
        var skippedLogged = false
        while !isStopping {
            let configuration = self.configuration
            let batch = try await thread.runIfActive {
                try reader.read(
                    tag: configuration.tag, mapping: configuration.entry, maxEntries: configuration.batchSize,
                    maxBytes: Self.maxBatchBytes)
            }
            if batch.skipped > 0, let error = batch.lastError, !skippedLogged {
                skippedLogged = true
                logger.warning(
                    "journal entries could not be read and were skipped",
                    metadata: [
                        "systemd.skipped": "\(batch.skipped)", "systemd.error": "\(error)",
                    ])
            }
            if !batch.stream.isEmpty {
                try await emit(batch.stream)
                emittedBatches.add(1, ordering: .relaxed)
            }
            if let cursor = batch.cursor {
                storage.update(cursor)
                let now = clock()
                let storageConfiguration = configuration.storage
                if storageConfiguration.persistent
                    || (storageConfiguration.autosave && now - lastSave >= storageConfiguration.autosaveInterval)
                {
                    lastSave = now
                    try await save(storage, on: thread)
                }
            }
            if batch.cursor == nil {
                try await thread.runIfActive { reader.wait(microseconds: Self.waitMicroseconds) }
            }
        }
        if configuration.storage.saveAtShutdown || configuration.storage.persistent {
            try await save(storage, on: thread)
        }
    }

    /// Opens the journal and seeks to the stored cursor (or `read_from_head`'s end); while the
    /// journal cannot be opened, warns and tries again each second, as in_systemd does.
    func open(on thread: NIOThreadPool, storage: CursorStorage) async throws -> JournalReader? {
        var warned = false
        while !isStopping {
            do {
                let configuration = self.configuration
                let cursor = storage.cursor
                let (reader, seekedCursor) = try await thread.runIfActive { () throws -> (JournalReader, Bool) in
                    let reader = try JournalReader(path: configuration.path, matches: configuration.matches)
                    if let cursor, reader.seek(cursor: cursor) { return (reader, true) }
                    reader.seek(fromHead: configuration.readFromHead)
                    return (reader, cursor == nil)
                }
                if !seekedCursor, let cursor {
                    logger.warning(
                        "could not seek to the cursor in the storage file; reading from \(configuration.readFromHead ? "head" : "tail")",
                        metadata: [
                            "systemd.cursor": "\(cursor)", "systemd.storage": "\(configuration.storage.path ?? "memory")",
                        ])
                }
                if warned { logger.info("journal opened", metadata: ["systemd.path": "\(configuration.path)"]) }
                return reader
            } catch let error as SystemdError where error.isRetryable {
                if !warned {
                    logger.warning("cannot open the journal; retrying every second", metadata: ["systemd.error": "\(error)"])
                    warned = true
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
        return nil
    }

    func save(_ storage: CursorStorage, on thread: NIOThreadPool) async throws {
        do {
            try await thread.runIfActive { try storage.save() }
        } catch let error as SystemdError {
            // The events are emitted; a cursor not saved only means they may be read again after a restart.
            logger.error("could not save the journal cursor", metadata: ["systemd.error": "\(error)"])
        }
    }

    /// Sends a batch on; retries while the buffer refuses it with a retryable error.
    func emit(_ stream: EventStream) async throws {
        try await router.emitRetrying(stream) { isStopping }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
