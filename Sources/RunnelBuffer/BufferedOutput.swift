import Logging
import NIOPosix
import RunnelConfig
import RunnelCore
import RunnelPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fluentd's output buffer in front of a `ChunkSender`: `emit` appends events to chunks (in
/// memory or in files), `run()` flushes queued chunks with `flush_thread_count` concurrent sends
/// and the `<buffer>` retry policy, and hands chunks whose retries ran out to `<secondary>`.
///
/// Hot state lives in one `Mutex` (`BufferState`); file I/O runs on NIO's thread pool through a
/// single writer per buffer (`ChunkWriter`), so emitters wait without blocking a thread.
public final class BufferedOutput: OutputPlugin, SecondaryChunkWriting {
    public let name: String
    public let configuration: BufferConfiguration
    let sender: any ChunkSender
    let secondary: (any ChunkSender)?
    let logger: Logger
    let clock: BufferClock
    let storage: any ChunkStorage
    let writer: ChunkWriter
    let pool: NIOThreadPool
    let metrics: BufferMetrics
    let state = Mutex(BufferState())
    let signal = FlushSignal()
    let lifecycle = Mutex(Lifecycle())
    let random: @Sendable () -> Double
    /// `slow_flush_log_threshold` (Fluentd's output parameter, 20 s): a longer send is logged and counted.
    let slowFlushLogThreshold: Double

    struct Lifecycle {
        var recovered = false
        var recovering = false
        var recoveryWaiters: [CheckedContinuation<Void, Never>] = []
        var stopping = false
    }

    /// Builds the buffer of the `<match>` section `element`: reads its `<buffer>` (of
    /// `defaultBufferType` when it says no `@type`) and `<secondary>`.
    public convenience init(
        name: String, element: ConfigElement, sender: any ChunkSender, context: PluginContext,
        clock: some Clock<Duration> = ContinuousClock(), defaultBufferType: BufferConfiguration.StorageType = .memory,
        defaultChunkKeys: String = "", defaultTimekey: Int? = nil, defaultPath: String? = nil, pluginType: String? = nil
    ) throws {
        let buffer = element.element(named: "buffer")
        let configuration = try BufferConfiguration(
            element: buffer, defaultType: defaultBufferType, defaultChunkKeys: defaultChunkKeys,
            defaultTimekey: defaultTimekey, defaultPath: defaultPath, pluginName: name,
            explicitID: element.rawValue("@id"), rootDirectory: context.system.rootDirectory,
            permissions: (context.system.filePermission, context.system.dirPermission))
        if configuration.type == .file, let path = configuration.path {
            try context.claims.claim(path, what: "buffer path", by: name, at: (buffer ?? element).location)
        }
        var secondary: (any ChunkSender)?
        if let section = element.element(named: "secondary") {
            if section.pluginType == "secondary_file" {
                secondary = try SecondaryFileWriter(
                    element: section, chunkKeys: configuration.chunkKeys, pluginName: name, filePermission: context.system.filePermission)
            } else {
                let output = try context.makeOutput(section)
                secondary = (output as? any SecondaryChunkWriting)?.secondarySender ?? OutputChunkSender(output: output)
            }
        }
        try self.init(
            name: name, configuration: configuration, sender: sender, secondary: secondary, logger: context.logger,
            clock: clock, pluginType: pluginType ?? element.pluginType ?? "unknown",
            slowFlushLogThreshold: try element.float("slow_flush_log_threshold", default: 20.0))
    }

    /// Builds a buffer from a ready configuration (tests, benchmarks, the crash probe).
    public init(
        name: String, configuration: BufferConfiguration, sender: any ChunkSender, secondary: (any ChunkSender)? = nil,
        logger: Logger, clock: some Clock<Duration> = ContinuousClock(), pluginType: String = "unknown",
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, slowFlushLogThreshold: Double = 20.0
    ) throws {
        self.name = name
        self.slowFlushLogThreshold = slowFlushLogThreshold
        self.configuration = configuration
        self.sender = sender
        self.secondary = secondary
        var logger = logger
        logger[metadataKey: "plugin_id"] = .string(name)
        self.logger = logger
        self.clock = BufferClock(clock, wallOrigin: EventTime.now().timeInterval)
        self.random = random
        switch configuration.type {
        case .memory:
            storage = MemoryChunkStorage()
        case .file:
            guard let path = configuration.path else {
                throw ConfigError(.missingParameter, at: .synthesized, "<buffer> of \(name): 'path' is required for @type file")
            }
            storage = try FileChunkStorage(
                path: path, pathSuffix: configuration.pathSuffix, filePermission: configuration.filePermission,
                dirPermission: configuration.dirPermission, durable: configuration.durable)
        }
        writer = ChunkWriter(
            storage: storage, durable: configuration.durable && configuration.isPersistent, compress: configuration.compress == .gzip)
        pool = NIOThreadPool.singleton
        metrics = BufferMetrics(pluginID: name, type: pluginType)
    }

    /// As another output's `<secondary>`, chunks go straight to this output's sender.
    public var secondarySender: any ChunkSender { sender }

    // MARK: Emit

    public func emit(_ stream: EventStream) async throws {
        guard !stream.isEmpty else { return }
        state.withLock { $0.counters.emitCount += 1 }
        await ensureRecovered()
        var parts: [ChunkKeys.Part]
        do {
            // Chunk keys are read from the records as they came, as Fluentd computes metadata before `format`.
            parts = try configuration.chunkKeys.split(stream)
            for index in parts.indices {
                if let formatted = try sender.entriesToBuffer(tag: stream.tag, entries: parts[index].entries) {
                    parts[index].entries = formatted
                }
            }
        } catch {
            throw PipelineError.invalidEvents("\(error)")
        }
        let bytes = parts.reduce(0) { $0 + $1.entries.count }
        while true {
            let admission = try admit(parts, bytes: bytes)
            switch admission {
            case .written(let token):
                try await awaitWrite(token)
                return
            case .full(let generation):
                await waitForRoom(after: generation)
            }
        }
    }

    enum Admission {
        case written(token: Int)
        case full(generation: Int)
    }

    /// Reserves room and queues the appends for the writer, or says why not.
    func admit(_ parts: [ChunkKeys.Part], bytes: Int) throws -> Admission {
        let now = clock.now()
        let wall = Int(clock.wall)
        let limit = configuration.effectiveTotalLimit
        var dropped: [ChunkRecord] = []
        let result: Admission = try state.withLock { state in
            guard !state.closed else { throw PipelineError.shuttingDown(output: name) }
            while !state.hasRoom(for: bytes, limit: limit) {
                switch configuration.overflowAction {
                case .throwException: throw PipelineError.bufferOverflow(output: name)
                case .block: return .full(generation: state.roomGeneration)
                case .dropOldestChunk:
                    guard let chunk = state.dropOldestQueued() else { throw PipelineError.bufferOverflow(output: name) }
                    dropped.append(chunk)
                }
            }
            let token = state.nextToken
            state.nextToken += 1
            for part in parts {
                try state.append(part, token: token, config: configuration, now: now, wall: wall, newID: Self.newChunkID)
            }
            return .written(token: token)
        }
        for chunk in dropped {
            let lost = chunk.count - chunk.delivered.count
            logger.warning(
                "buffer full: dropped the oldest queued chunk (overflow_action drop_oldest_chunk)",
                metadata: ["buffer.chunk": .string(chunk.id), "buffer.records": .stringConvertible(lost)])
            metrics.droppedRecords.increment(by: lost)
            metrics.droppedChunks.increment()
        }
        if case .full = result { metrics.overflows.increment() }
        if case .written = result { metrics.emitRecords.increment(by: parts.reduce(0) { $0 + $1.count }) }
        return result
    }

    /// Waits for the writer to finish the appends of `token` (and their fsync when durable).
    func awaitWrite(_ token: Int) async throws {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (start, early) = state.withLock { state -> (Bool, BufferError??) in
                    if let outcome = state.finished.removeValue(forKey: token) { return (false, .some(outcome)) }
                    state.completions[token] = continuation
                    return (startWriterIfNeeded(&state), nil)
                }
                switch early {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: if start { runWriter() }
                }
            }
        } catch let error as BufferError {
            logWriteFailure(error)
            throw error.isNoSpace ? PipelineError.bufferOverflow(output: name) : PipelineError.invalidEvents("\(error)")
        }
    }

    func waitForRoom(after generation: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.roomGeneration != generation || state.closed { return true }
                state.roomWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// A Fluentd-style unique id: microseconds since the epoch then 64 random bits, in hex, so
    /// that ids sort by creation.
    @Sendable static func newChunkID() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let micros = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec / 1000)
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(micros) + hex(UInt64.random(in: 0...UInt64.max))
    }

    /// The buffer's figures now, for monitor_agent and tests.
    public var status: BufferStatus {
        let now = clock.now()
        return state.withLock { state in
            var stageBytes = 0
            var queueBytes = 0
            var retrying = 0
            var oldest: Double?
            var timekeys = Set<Int>()
            var longestRetry: (retry: RetryStateMachine, next: Double)?
            for chunk in state.chunks.values {
                if chunk.state == .staged { stageBytes += chunk.bytes } else { queueBytes += chunk.bytes }
                if let retry = chunk.retry {
                    retrying += 1
                    if retry.start < longestRetry?.retry.start ?? .infinity { longestRetry = (retry, chunk.nextAttemptAt) }
                }
                oldest = min(oldest ?? chunk.createdAt, chunk.createdAt)
                if let timekey = chunk.metadata.timekey { timekeys.insert(timekey) }
            }
            let wallOffset = clock.wallOrigin
            let limit = Double(configuration.effectiveTotalLimit)
            return BufferStatus(
                queueLength: state.queue.count, stageLength: state.staged.count, totalBytes: state.totalBytes,
                stageBytes: stageBytes, queueBytes: queueBytes,
                availableSpaceRatio: max(0, (limit - Double(state.totalBytes)) / limit * 100),
                retryCount: state.retryCount, emitRecords: state.emitRecords, droppedRecords: state.droppedRecords,
                oldestChunkAge: oldest.map { now - $0 }, retryingChunks: retrying, counters: state.counters,
                timekeys: timekeys.sorted(),
                retry: longestRetry.map {
                    RetryStatus(start: wallOffset + $0.retry.start, steps: $0.retry.steps, nextTime: wallOffset + $0.next)
                },
                stalledSeconds: state.queue.isEmpty ? nil : state.failingSince.map { now - $0 })
        }
    }
}
