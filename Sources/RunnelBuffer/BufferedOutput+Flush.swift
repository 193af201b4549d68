import Logging
import RunnelPipeline
import ServiceLifecycle

/// Flushing: the flush threads, one chunk's delivery, and what each `DeliveryResult` does.
extension BufferedOutput {
    /// Flushes until graceful shutdown, then flushes what `flush_at_shutdown` says and closes the buffer.
    public func run() async throws {
        await ensureRecovered()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<configuration.flushThreadCount {
                    group.addTask { await self.flushThread() }
                }
            }
        } onGracefulShutdown: {
            self.stop()
        }
        await shutdown()
    }

    /// Asks the flush threads to finish (as graceful shutdown does).
    public func stop() {
        lifecycle.withLock { $0.stopping = true }
        signal.signal()
    }

    var isStopping: Bool { lifecycle.withLock { $0.stopping } || Task.isCancelled }

    func flushThread() async {
        while !isStopping {
            closeDueChunks(all: false)
            if let chunk = state.withLock({ $0.takeNext(now: clock.now(), ignoreSchedule: false) }) {
                await flush(chunk)
                let more = state.withLock { $0.nextAttemptTime().map { $0 <= clock.now() } ?? false }
                if more { await signal.wait(upTo: configuration.flushThreadBurstInterval, clock: clock) }
                continue
            }
            var wait = configuration.flushThreadInterval
            if let next = state.withLock({ $0.nextAttemptTime() }) { wait = min(wait, max(0, next - clock.now())) }
            await signal.wait(upTo: max(wait, 0.001), clock: clock)
            metrics.update(status)
        }
    }

    /// One pass of a flush thread without sleeping: closes due chunks, then sends every chunk
    /// whose retry time has come, one after another. For tests driving an injected clock.
    func flushDue() async {
        await ensureRecovered()
        closeDueChunks(all: false)
        await writeBarrier()
        while let chunk = state.withLock({ $0.takeNext(now: clock.now(), ignoreSchedule: false) }) {
            await flush(chunk)
        }
    }

    /// Closes staged chunks whose time has come (all of them with `all`) and starts their move to the queue.
    func closeDueChunks(all: Bool) {
        let now = clock.now()
        let wall = clock.wall
        state.withLock { $0.closeDue(all: all, config: configuration, now: now, wall: wall) }
        kickWriter()
    }

    /// Enqueues every staged chunk and sends every queued chunk once, ignoring retry waits (SIGUSR1).
    public func flushNow() async {
        await ensureRecovered()
        closeDueChunks(all: true)
        await writeBarrier()
        // Each queued chunk gets one try, as Fluentd's force_flush: a chunk that fails waits for its retry time.
        var untried = state.withLock { Set($0.queue) }
        while let chunk = state.withLock({ $0.takeNext(now: clock.now(), ignoreSchedule: true, among: untried) }) {
            untried.remove(chunk.id)
            await flush(chunk)
        }
        metrics.update(status)
    }

    /// After the flush threads stopped: no more emits, `flush_at_shutdown`, close the files.
    func shutdown() async {
        let waiters = state.withLock { state in
            state.closed = true
            return state.freeRoom()
        }
        for waiter in waiters { waiter.resume() }
        if configuration.flushAtShutdown {
            await flushNow()
        } else {
            await writeBarrier()
        }
        let left = state.withLock { state in state.chunks.values.reduce(0) { $0 + $1.count - $1.delivered.count } }
        if left > 0, !configuration.isPersistent {
            logger.error(
                "memory buffer closed with undelivered records; they are lost",
                metadata: ["buffer.records": .stringConvertible(left)])
        }
        try? await pool.runIfActive { [storage] in storage.close() }
        metrics.update(status)
    }

    // MARK: One chunk

    func flush(_ chunk: ChunkRecord) async {
        let started = clock.now()
        let bytes: [UInt8]
        do {
            bytes = try await pool.runIfActive { [storage] in try ChunkData.decode(storage.read(id: chunk.id)).entries }
        } catch {
            logger.error("could not read a chunk to flush", metadata: ["buffer.chunk": .string(chunk.id), "buffer.error": .string("\(error)")])
            await failed(chunk, DeliveryError("could not read chunk: \(error)"), rejected: false)
            return
        }
        let scan = FileChunkStorage.scanEntries(bytes)
        let entries = scan.validBytes == bytes.count ? bytes : Array(bytes[0..<scan.validBytes])
        let toSend = ChunkToSend(
            id: chunk.id, metadata: chunk.metadata, entries: entries, count: scan.count,
            delivered: chunk.delivered, retryCount: chunk.failures)
        let target = chunk.useSecondary ? (secondary ?? sender) : sender
        let writeStarted = clock.now()
        let result = await target.send(toSend)
        metrics.flushLatency.recordNanoseconds(Int64(max(0, clock.now() - started) * 1e9))
        recordWrite(seconds: clock.now() - writeStarted)
        switch result {
        case .delivered:
            await delivered(chunk, count: scan.count)
        case .partial(let accepted, let error):
            var progress = chunk.delivered
            progress.formUnion(accepted)
            if (0..<scan.count).allSatisfy(progress.contains) {
                await delivered(chunk, count: scan.count)
                return
            }
            await recordProgress(chunk, progress, count: scan.count)
            metrics.flushedRecords.increment(by: accepted.count)
            await failed(chunk, error, rejected: false)
        case .retry(let error):
            await failed(chunk, error, rejected: false)
        case .rejected(let error):
            await failed(chunk, error, rejected: true)
        }
    }

    func delivered(_ chunk: ChunkRecord, count: Int) async {
        metrics.flushedRecords.increment(by: max(0, count - chunk.delivered.count))
        await removeChunk(chunk)
    }

    /// Deletes a chunk's files and frees its room.
    func removeChunk(_ chunk: ChunkRecord) async {
        do {
            try await pool.runIfActive { [storage] in try storage.remove(id: chunk.id) }
        } catch {
            logger.error(
                "chunk delivered but its files could not be removed; it will be sent again after a restart",
                metadata: ["buffer.chunk": .string(chunk.id), "buffer.error": .string("\(error)")])
        }
        let waiters = state.withLock { $0.remove(chunk.id) }
        for waiter in waiters { waiter.resume() }
    }

    /// Saves which entries were accepted, so a retry (even after a restart) sends only the rest.
    func recordProgress(_ chunk: ChunkRecord, _ progress: EntrySet, count: Int) async {
        state.withLock { $0.chunks[chunk.id]?.delivered = progress }
        var record = chunk
        record.delivered = progress
        record.count = count
        let meta = record.metaRecord(now: Int(clock.wall))
        do {
            try await pool.runIfActive { [storage] in try storage.writeMeta(meta) }
        } catch {
            logger.error(
                "could not save delivery progress; accepted records may be sent again after a restart",
                metadata: ["buffer.chunk": .string(chunk.id), "buffer.error": .string("\(error)")])
        }
    }

    /// A failed attempt: schedule the retry per policy, hand to the secondary, or give up.
    func failed(_ chunk: ChunkRecord, _ error: DeliveryError, rejected: Bool) async {
        let now = clock.now()
        let random = self.random()
        let hasSecondary = secondary != nil
        enum Next { case retry(Double, secondary: Bool, first: Bool), giveUp }
        let next: Next = state.withLock { state in
            state.counters.rollbackCount += 1
            guard var record = state.chunks[chunk.id] else { return .giveUp }
            record.failures += 1
            state.retryCount += 1
            let action: RetryStateMachine.Action
            if rejected, hasSecondary, !record.useSecondary {
                action = .retry(at: now, secondary: true)
            } else if var retry = record.retry {
                action = retry.failed(now: now, random: random, retryAfter: error.retryAfter.map(Self.seconds))
                record.retry = retry
            } else {
                let retry = RetryStateMachine(policy: configuration.retry, hasSecondary: hasSecondary, now: now)
                record.retry = retry
                action = retry.initialAction
            }
            switch action {
            case .retry(var at, let useSecondary):
                if let after = error.retryAfter.map(Self.seconds) { at = max(at, now + after) }
                record.nextAttemptAt = at
                record.useSecondary = record.useSecondary || (useSecondary && hasSecondary)
                record.state = .queued
                state.chunks[chunk.id] = record
                return .retry(at, secondary: record.useSecondary, first: record.failures == 1)
            case .giveUp:
                state.chunks[chunk.id] = record
                return .giveUp
            }
        }
        metrics.retries.increment()
        switch next {
        case .retry(let at, let useSecondary, let first):
            if rejected {
                if !chunk.rejectionLogged {
                    state.withLock { $0.chunks[chunk.id]?.rejectionLogged = true }
                    logger.error(
                        useSecondary
                            ? "destination rejected the chunk; handing it to <secondary>"
                            : "destination rejected the chunk and there is no <secondary>; retrying per retry policy",
                        metadata: ["buffer.chunk": .string(chunk.id), "buffer.error": .string(error.description)])
                }
            } else if first || chunk.failures.nonzeroBitCount == 1 {
                logger.warning(
                    "failed to flush the buffer; will retry",
                    metadata: [
                        "buffer.chunk": .string(chunk.id), "buffer.error": .string(error.description),
                        "buffer.retry_in": .string(String(format: "%.1fs", at - now)),
                        "buffer.retry_count": .stringConvertible(chunk.failures + 1),
                        "buffer.secondary": .stringConvertible(useSecondary),
                    ])
            }
        case .giveUp:
            let lost = state.withLock { state in
                guard let record = state.chunks[chunk.id] else { return 0 }
                let lost = record.count - record.delivered.count
                state.droppedRecords += lost
                return lost
            }
            logger.error(
                "failed to flush the buffer and hit the retry limit; dropping the chunk",
                metadata: [
                    "buffer.chunk": .string(chunk.id), "buffer.error": .string(error.description),
                    "buffer.records": .stringConvertible(lost),
                ])
            metrics.droppedRecords.increment(by: lost)
            metrics.droppedChunks.increment()
            await removeChunk(chunk)
        }
    }

    /// Counts one send attempt (Fluentd's write_count, flush_time_count) and warns about a slow one
    /// as Fluentd's `check_slow_flush` does.
    func recordWrite(seconds elapsed: Double) {
        let slow = elapsed > slowFlushLogThreshold
        state.withLock { state in
            state.counters.writeCount += 1
            state.counters.flushTimeMilliseconds += Int(max(0, elapsed) * 1000)
            if slow { state.counters.slowFlushCount += 1 }
        }
        if slow {
            logger.warning(
                "buffer flush took longer time than slow_flush_log_threshold",
                metadata: [
                    "buffer.elapsed_time": .string(String(format: "%.3f", elapsed)),
                    "buffer.slow_flush_log_threshold": .stringConvertible(slowFlushLogThreshold),
                ])
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

import Foundation
