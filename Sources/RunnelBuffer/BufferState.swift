import RunnelCore

/// The buffer's bookkeeping, kept in one `Mutex` by `BufferedOutput`: which chunks exist, in which
/// state, how many bytes the buffer holds, who waits for room, and the writer's pending
/// operations. Its methods decide; the output carries the decisions out.
struct BufferState: Sendable {
    var chunks: [String: ChunkRecord] = [:]
    var staged: [ChunkMetadata: String] = [:]
    /// Queued and in-flight chunks, oldest first.
    var queue: [String] = []
    var totalBytes = 0
    var closed = false
    /// Bumped whenever room is freed, so a blocked emitter never misses a wake-up.
    var roomGeneration = 0
    var roomWaiters: [CheckedContinuation<Void, Never>] = []
    var pendingOperations: [WriteOperation] = []
    var writerRunning = false
    var completions: [Int: CheckedContinuation<Void, any Error>] = [:]
    /// Outcomes of tokens the writer finished before their emitter started waiting (a running
    /// writer takes new operations as soon as they are queued); `awaitWrite` takes them from here.
    var finished: [Int: BufferError?] = [:]
    var nextToken = 0
    var retryCount = 0
    var emitRecords = 0
    var droppedRecords = 0
    var counters = OutputCounters()
    /// Attempts in a row, of any chunk, that got nothing through.
    var consecutiveFailures = 0
    /// After three such attempts in a row the destination looks down: no chunk is sent before this
    /// (clock seconds), the retry time of the last failed chunk, as Fluentd holds its whole output
    /// until the next retry. Any progress lifts it.
    var pausedUntil: Double = 0
    /// Since when (clock seconds) every attempt has delivered nothing; nil after one that did.
    /// Readiness (`/readyz`) reads it: an output with data waiting that long is stalled.
    var failingSince: Double?

    /// Whether `bytes` more fit under `limit`. An empty buffer always takes one emit, however
    /// large, so that a stream bigger than the limit cannot block forever.
    func hasRoom(for bytes: Int, limit: Int) -> Bool { totalBytes == 0 || totalBytes + bytes <= limit }

    /// The oldest queued chunk not being sent, removed from the bookkeeping, for `drop_oldest_chunk`.
    mutating func dropOldestQueued() -> ChunkRecord? {
        guard let index = queue.firstIndex(where: { chunks[$0]?.state == .queued }) else { return nil }
        let id = queue.remove(at: index)
        guard let chunk = chunks.removeValue(forKey: id) else { return nil }
        totalBytes -= chunk.bytes
        droppedRecords += chunk.count - chunk.delivered.count
        pendingOperations.append(.remove(id: id))
        return chunk
    }

    /// Appends a part to staged chunks of its metadata, cutting it by `chunk_limit_size` and
    /// `chunk_limit_records`; full chunks are closed for the queue.
    mutating func append(_ part: ChunkKeys.Part, token: Int, config: BufferConfiguration, now: Double, wall: Int, newID: () -> String) throws {
        var offset = 0
        var remaining = part.count
        let fullBytes = Int(Double(config.chunkLimitSize) * config.chunkFullThreshold)
        let fullRecords = config.chunkLimitRecords.map { max(1, Int(Double($0) * config.chunkFullThreshold)) }
        while remaining > 0 {
            let id = staged[part.metadata] ?? createChunk(part.metadata, now: now, wall: wall, id: newID())
            let chunk = chunks[id]!
            let roomBytes = config.chunkLimitSize - chunk.bytes
            let roomRecords = (config.chunkLimitRecords ?? Int.max) - chunk.count
            var takeBytes = part.entries.count - offset
            var takeCount = remaining
            if takeBytes > roomBytes || takeCount > roomRecords {
                (takeCount, takeBytes) = try Self.prefix(of: part.entries, from: offset, maxBytes: roomBytes, maxCount: roomRecords)
                if takeCount == 0 {
                    if chunk.count > 0 {
                        close(id, wall: wall)
                        continue
                    }
                    // One entry larger than a chunk: it gets a chunk of its own rather than being lost.
                    (takeCount, takeBytes) = try Self.prefix(of: part.entries, from: offset, maxBytes: Int.max, maxCount: 1)
                }
            }
            // A part that fits whole is handed over as it is (no copy under the lock).
            let bytes = offset == 0 && takeBytes == part.entries.count ? part.entries : Array(part.entries[offset..<(offset + takeBytes)])
            pendingOperations.append(.append(id: id, bytes: bytes, count: takeCount, token: token))
            chunks[id]!.bytes += takeBytes
            chunks[id]!.count += takeCount
            totalBytes += takeBytes
            emitRecords += takeCount
            offset += takeBytes
            remaining -= takeCount
            let updated = chunks[id]!
            if config.effectiveFlushMode == .immediate || updated.bytes >= fullBytes || updated.count >= (fullRecords ?? Int.max) {
                close(id, wall: wall)
            }
        }
    }

    mutating func createChunk(_ metadata: ChunkMetadata, now: Double, wall: Int, id: String) -> String {
        let chunk = ChunkRecord(id: id, metadata: metadata, state: .staged, createdAt: now, createdWall: wall, bytes: 0, count: 0)
        chunks[id] = chunk
        staged[metadata] = id
        pendingOperations.append(.create(chunk.metaRecord(now: wall)))
        return id
    }

    /// Closes a staged chunk to appends and asks the writer to move it to the queue.
    mutating func close(_ id: String, wall: Int) {
        guard let chunk = chunks[id], chunk.state == .staged else { return }
        chunks[id]!.state = .enqueuing
        if staged[chunk.metadata] == id { staged.removeValue(forKey: chunk.metadata) }
        pendingOperations.append(.enqueue(chunk.metaRecord(now: wall)))
    }

    /// Closes the staged chunks whose flush time has come (or all of them).
    mutating func closeDue(all: Bool, config: BufferConfiguration, now: Double, wall: Double) {
        for id in staged.values {
            guard let chunk = chunks[id], chunk.count > 0 else { continue }
            var due = all
            switch config.effectiveFlushMode {
            case .immediate: due = true
            case .interval, .default: due = due || now - chunk.createdAt >= config.flushInterval
            case .lazy:
                if let time = config.chunkKeys.time, let timekey = chunk.metadata.timekey {
                    due = due || wall >= Double(timekey + time.period) + time.wait
                }
            }
            if due { close(id, wall: Int(wall)) }
        }
    }

    /// Applies a writer batch's outcome; returns the continuations to resume.
    mutating func apply(_ outcome: WriteOutcome) -> (
        done: [CheckedContinuation<Void, any Error>], failed: [(CheckedContinuation<Void, any Error>, BufferError)]
    ) {
        for id in outcome.failedCreates {
            if let chunk = chunks[id], staged[chunk.metadata] == id { staged.removeValue(forKey: chunk.metadata) }
            chunks[id]?.state = .enqueuing
        }
        for failure in outcome.failedAppends {
            totalBytes -= failure.bytes
            emitRecords -= failure.count
            chunks[failure.id]?.bytes -= failure.bytes
            chunks[failure.id]?.count -= failure.count
        }
        for id in outcome.failedCreates where chunks[id]?.count == 0 { chunks.removeValue(forKey: id) }
        for id in outcome.enqueued {
            guard let chunk = chunks[id] else { continue }
            if chunk.count == 0 {
                chunks.removeValue(forKey: id)
                pendingOperations.append(.remove(id: id))
                continue
            }
            chunks[id]!.state = .queued
            queue.append(id)
        }
        var done: [CheckedContinuation<Void, any Error>] = []
        var failed: [(CheckedContinuation<Void, any Error>, BufferError)] = []
        for token in outcome.succeededTokens where outcome.failedTokens[token] == nil {
            if let continuation = completions.removeValue(forKey: token) { done.append(continuation) } else { finished[token] = .some(nil) }
        }
        for (token, error) in outcome.failedTokens {
            if let continuation = completions.removeValue(forKey: token) { failed.append((continuation, error)) } else { finished[token] = error }
        }
        return (done, failed)
    }

    /// Removes a chunk after delivery (or a drop) and frees its room; returns blocked emitters to wake.
    mutating func remove(_ id: String) -> [CheckedContinuation<Void, Never>] {
        guard let chunk = chunks.removeValue(forKey: id) else { return [] }
        queue.removeAll { $0 == id }
        totalBytes -= chunk.bytes
        return freeRoom()
    }

    mutating func freeRoom() -> [CheckedContinuation<Void, Never>] {
        roomGeneration += 1
        defer { roomWaiters.removeAll() }
        return roomWaiters
    }

    /// The next chunk to send: the oldest queued one whose retry time has come (any, when `ignoreSchedule`).
    mutating func takeNext(now: Double, ignoreSchedule: Bool, among ids: Set<String>? = nil) -> ChunkRecord? {
        if !ignoreSchedule, pausedUntil > now { return nil }
        for id in queue {
            guard let chunk = chunks[id], chunk.state == .queued else { continue }
            if let ids, !ids.contains(id) { continue }
            guard ignoreSchedule || chunk.nextAttemptAt <= now else { continue }
            chunks[id]!.state = .inFlight
            return chunk
        }
        return nil
    }

    /// The earliest retry time among queued chunks, for the flush threads' sleep.
    func nextAttemptTime() -> Double? {
        queue.compactMap { chunks[$0] }.filter { $0.state == .queued }.map(\.nextAttemptAt).min().map { max($0, pausedUntil) }
    }

    /// When the first staged chunk's `flush_interval` is up (interval mode), for the flush
    /// threads' sleep: a chunk is closed and sent when it is due, not at the next poll.
    func nextCloseTime(config: BufferConfiguration) -> Double? {
        switch config.effectiveFlushMode {
        case .interval, .default:
            return staged.values.compactMap { chunks[$0] }.filter { $0.count > 0 }.map { $0.createdAt + config.flushInterval }.min()
        case .immediate, .lazy:
            return nil
        }
    }

    /// An attempt ended: `progressed` if it got anything through or was answered record by record
    /// (deferred), else it failed with the chunk's next try at `retryAt`.
    /// Whether an attempt that ended at `now` delivered anything, for readiness.
    mutating func noteDelivery(_ delivered: Bool, now: Double) {
        failingSince = delivered ? nil : (failingSince ?? now)
    }

    mutating func attemptEnded(progressed: Bool, retryAt: Double?) {
        if progressed {
            consecutiveFailures = 0
            pausedUntil = 0
        } else if let retryAt {
            consecutiveFailures += 1
            if consecutiveFailures >= 3 { pausedUntil = max(pausedUntil, retryAt) }
        }
    }

    /// Splits `bytes[from...]` after as many whole entries as fit in `maxBytes` and `maxCount`.
    static func prefix(of bytes: [UInt8], from start: Int, maxBytes: Int, maxCount: Int) throws -> (count: Int, bytes: Int) {
        let scan = EventStream.scanEntries(bytes, from: start, maxBytes: maxBytes, maxCount: maxCount)
        if let error = scan.error { throw error }
        return (scan.count, scan.end - start)
    }
}
