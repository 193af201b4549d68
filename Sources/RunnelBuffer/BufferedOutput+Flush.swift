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
            let (next, close) = state.withLock { ($0.nextAttemptTime(), $0.nextCloseTime(config: configuration)) }
            for time in [next, close].compactMap({ $0 }) { wait = min(wait, max(0, time - clock.now())) }
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
            await flush(chunk, mayDefer: false)
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

    /// Sends a chunk's pending entries, slice by slice (`ChunkSender.sliceBytes`), recording
    /// progress after each answer. `mayDefer`: the output may leave records waiting for their
    /// per-record retry (`.deferred`) and the chunk goes back to the queue until then; false
    /// where nothing may be left for later (shutdown, `flush` commands).
    func flush(_ chunk: ChunkRecord, mayDefer: Bool = true) async {
        let started = clock.now()
        let target = chunk.useSecondary ? (secondary ?? sender) : sender
        let progress = ChunkProgress(id: chunk.id, output: self)
        var slices = ChunkSlices(id: chunk.id, sliceBytes: target.sliceBytes, known: chunk.pendingLocations)
        // Where the entries still to send are, for the next attempt to read them without a walk.
        var stillPending: [EntryLocation]? = []
        var retries = PendingRetries()
        var deferredFor: Duration?
        var failure: (error: DeliveryError, rejected: Bool)?
        var sentAny = false
        while true {
            let slice: ChunkSlice?
            let delivered = state.withLock { $0.chunks[chunk.id]?.delivered } ?? chunk.delivered
            do {
                let current = slices
                let next = try await pool.runIfActive { [storage] in
                    var reader = current
                    let slice = try reader.next(from: storage, delivered: delivered)
                    return (reader, slice)
                }
                slices = next.0
                slice = next.1
            } catch {
                logger.error("could not read a chunk to flush", metadata: ["buffer.chunk": .string(chunk.id), "buffer.error": .string("\(error)")])
                failure = (DeliveryError("could not read chunk: \(error)"), false)
                break
            }
            guard let slice else { break }
            let toSend = ChunkToSend(
                id: chunk.id, metadata: chunk.metadata, entries: slice.entries, count: slice.count, firstIndex: slice.firstIndex,
                indices: slice.indices, delivered: delivered, retryCount: chunk.failures, retries: chunk.pendingRetries,
                mayDefer: mayDefer && !chunk.useSecondary, onAccepted: { progress.accept($0) })
            if toSend.pendingCount == 0 { continue }
            let writeStarted = clock.now()
            let result = await target.send(toSend)
            recordWrite(seconds: clock.now() - writeStarted)
            sentAny = true
            switch result {
            case .delivered:
                var all = EntrySet()
                all.insert(slice.firstIndex..<(slice.firstIndex + slice.count))
                progress.accept(all)
            case .partial(let accepted, let error):
                progress.accept(accepted)
                failure = (error, false)
            case .retry(let error):
                failure = (error, false)
            case .rejected(let error):
                failure = (error, true)
            case .deferred(let accepted, let more, let after):
                progress.accept(accepted)
                retries.merge(more)
                deferredFor = min(deferredFor ?? after, after)
            }
            if failure != nil { break }
            if !slice.locations.isEmpty {
                let now = state.withLock { $0.chunks[chunk.id]?.delivered } ?? EntrySet()
                stillPending?.append(contentsOf: slice.locations.lazy.filter { !now.contains(Int($0.index)) })
            } else {
                stillPending = nil
            }
        }
        let read = slices.entriesRead
        let complete =
            failure == nil && deferredFor == nil
            && state.withLock { state in
                guard let record = state.chunks[chunk.id] else { return true }
                return (0..<read).allSatisfy(record.delivered.contains)
            }
        await progress.finish(saveRest: !complete)
        if sentAny { metrics.flushLatency.recordNanoseconds(Int64(max(0, clock.now() - started) * 1e9)) }
        let progressed = progress.acceptedThisFlush > 0
        if let failure {
            await failed(chunk, failure.error, rejected: failure.rejected, progressed: progressed)
        } else if let deferredFor {
            deferred(chunk, retries: retries, after: deferredFor, progressed: progressed, pending: stillPending)
        } else {
            if !complete {
                // The output said delivered without accepting every entry: nothing is left to send.
                logger.warning("output reported a chunk delivered with entries unaccounted for", metadata: ["buffer.chunk": .string(chunk.id)])
            }
            let now = clock.now()
            state.withLock { state in
                state.attemptEnded(progressed: true, retryAt: nil)
                state.noteDelivery(true, now: now)
            }
            await removeChunk(chunk)
        }
    }

    /// Records wait for their per-record retry: the chunk goes back to the queue until `after`,
    /// without counting as a failure, and flush threads send other chunks meanwhile.
    /// `pending`: where the entries still to send are, when every slice was read.
    func deferred(_ chunk: ChunkRecord, retries: PendingRetries, after: Duration, progressed: Bool, pending: [EntryLocation]?) {
        let now = clock.now()
        let at = now + Self.seconds(after)
        state.withLock { state in
            state.noteDelivery(progressed, now: now)
            guard state.chunks[chunk.id] != nil else { return }
            state.chunks[chunk.id]!.pendingRetries = retries
            state.chunks[chunk.id]!.pendingLocations = pending
            state.chunks[chunk.id]!.nextAttemptAt = at
            state.chunks[chunk.id]!.state = .queued
            if progressed { state.chunks[chunk.id]!.retry = nil }
            // The destination answered (it refused records, not requests): it is not down.
            state.attemptEnded(progressed: true, retryAt: nil)
        }
        signal.signal()
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

    /// A failed attempt: schedule the retry per policy, hand to the secondary, or give up.
    /// `progressed`: this attempt got some entries through, which resets the retry state as a
    /// successful flush does in Fluentd (the next wait is `retry_wait` again).
    /// The buffer's retry is in charge from here: the next attempt starts the per-record retries
    /// afresh (none counted, the first backoff), as fluent-plugin-kinesis' write of a retried
    /// chunk starts its batch retries and backoff from zero. Kept, records whose batch retries ran
    /// out would get one try per `retry_wait` instead of `retries_on_batch_request`.
    func failed(_ chunk: ChunkRecord, _ error: DeliveryError, rejected: Bool, progressed: Bool = false) async {
        let now = clock.now()
        let random = self.random()
        let hasSecondary = secondary != nil
        enum Next { case retry(Double, secondary: Bool, first: Bool), giveUp }
        let next: Next = state.withLock { state in
            state.counters.rollbackCount += 1
            state.noteDelivery(progressed, now: now)
            guard var record = state.chunks[chunk.id] else { return .giveUp }
            if progressed { record.retry = nil }
            record.pendingRetries = PendingRetries()
            // The attempt stopped early: later slices were not read, so where the rest is is unknown.
            record.pendingLocations = nil
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
                state.attemptEnded(progressed: progressed, retryAt: at)
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
