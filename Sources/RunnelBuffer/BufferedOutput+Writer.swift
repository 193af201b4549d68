import Logging

/// Driving the single writer and start-up recovery.
extension BufferedOutput {
    /// Claims the writer when it is idle and has work; the caller then calls `runWriter()`.
    func startWriterIfNeeded(_ state: inout BufferState) -> Bool {
        guard !state.writerRunning, !state.pendingOperations.isEmpty else { return false }
        state.writerRunning = true
        return true
    }

    /// Drains the pending operations batch by batch on the thread pool, then lets go of the writer.
    func runWriter() {
        pool.submit { [self] poolState in
            guard case .active = poolState else {
                failPendingWrites(.closed)
                return
            }
            while let operations = takeBatch() {
                let outcome = writer.execute(operations)
                let (done, failed, waiters, queued) = state.withLock { state in
                    let (done, failed) = state.apply(outcome)
                    let waiters = outcome.failedAppends.isEmpty ? [] : state.freeRoom()
                    return (done, failed, waiters, !outcome.enqueued.isEmpty)
                }
                for continuation in done { continuation.resume() }
                for (continuation, error) in failed { continuation.resume(throwing: error) }
                for waiter in waiters { waiter.resume() }
                if queued { signal.signal() }
            }
        }
    }

    private func takeBatch() -> [WriteOperation]? {
        state.withLock { state in
            if state.pendingOperations.isEmpty {
                state.writerRunning = false
                return nil
            }
            defer { state.pendingOperations.removeAll(keepingCapacity: true) }
            return state.pendingOperations
        }
    }

    private func failPendingWrites(_ error: BufferError) {
        let continuations = state.withLock { state in
            for operation in state.pendingOperations {
                switch operation {
                case .append(_, _, _, let token) where state.completions[token] == nil: state.finished[token] = error
                case .barrier(let token) where state.completions[token] == nil: state.finished[token] = error
                default: break
                }
            }
            state.pendingOperations.removeAll()
            state.writerRunning = false
            defer { state.completions.removeAll() }
            return Array(state.completions.values)
        }
        for continuation in continuations { continuation.resume(throwing: error) }
    }

    /// Queues operations built under the lock and makes sure the writer runs.
    func kickWriter() {
        if state.withLock({ startWriterIfNeeded(&$0) }) { runWriter() }
    }

    /// Waits until every operation queued so far is done.
    func writeBarrier() async {
        let token = state.withLock { state in
            defer { state.nextToken += 1 }
            state.pendingOperations.append(.barrier(token: state.nextToken))
            return state.nextToken
        }
        try? await awaitWrite(token)
    }

    func logWriteFailure(_ error: BufferError) {
        logger.error("could not write to the buffer; the events were not accepted", metadata: ["buffer.error": .string("\(error)")])
    }

    // MARK: Recovery

    /// Runs start-up recovery once; concurrent callers wait for it.
    func ensureRecovered() async {
        enum Step { case done, wait, run }
        let step: Step = lifecycle.withLock { life in
            if life.recovered { return .done }
            if life.recovering { return .wait }
            life.recovering = true
            return .run
        }
        switch step {
        case .done: return
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = lifecycle.withLock { life -> Bool in
                    if life.recovered { return true }
                    life.recoveryWaiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        case .run:
            let logger = self.logger
            let context = RecoveryContext(keys: configuration.chunkKeys) { event in Self.log(event, logger) }
            let recovered = (try? await pool.runIfActive { [storage] in storage.recover(context) }) ?? []
            adopt(recovered)
            let waiters = lifecycle.withLock { life in
                life.recovered = true
                defer { life.recoveryWaiters.removeAll() }
                return life.recoveryWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Takes recovered chunks into the bookkeeping: queued ones first in their order; a staged
    /// one continues taking appends unless another staged chunk already has its keys.
    private func adopt(_ recovered: [RecoveredChunk]) {
        guard !recovered.isEmpty else { return }
        let now = clock.now()
        let wall = clock.wall
        state.withLock { state in
            for chunk in recovered.sorted(by: { ($0.queued ? 0 : 1, $0.meta.id) < ($1.queued ? 0 : 1, $1.meta.id) }) {
                let age = max(0, wall - Double(chunk.meta.createdAt))
                var record = ChunkRecord(
                    id: chunk.meta.id, metadata: chunk.meta.metadata, state: chunk.queued ? .queued : .staged,
                    createdAt: now - age, createdWall: chunk.meta.createdAt, bytes: chunk.bytes, count: chunk.meta.count)
                record.delivered = chunk.meta.delivered
                state.chunks[record.id] = record
                state.totalBytes += chunk.bytes
                if chunk.queued {
                    state.queue.append(record.id)
                } else if state.staged[record.metadata] == nil {
                    state.staged[record.metadata] = record.id
                } else {
                    state.chunks[record.id]!.state = .staged
                    state.close(record.id, wall: Int(wall))
                }
            }
        }
        kickWriter()
        logger.info(
            "resumed buffer chunks from disk",
            metadata: ["buffer.chunks": .stringConvertible(recovered.count), "buffer.path": .string(configuration.path ?? "")])
    }

    static func log(_ event: RecoveryEvent, _ logger: Logger) {
        switch event {
        case .tornTail(let path, let kept, let dropped):
            logger.warning(
                "chunk ended inside an entry (torn write); cut back to the last whole entry",
                metadata: ["buffer.file": .string(path), "buffer.kept_bytes": .stringConvertible(kept), "buffer.dropped_bytes": .stringConvertible(dropped)])
        case .metadataRebuilt(let path, let reason):
            logger.warning("chunk metadata unreadable; rebuilt from the data", metadata: ["buffer.file": .string(path), "buffer.reason": .string(reason)])
        case .broken(let path, let error):
            logger.error(
                "chunk data unreadable; kept as *.broken for inspection, start-up continues",
                metadata: ["buffer.file": .string(path), "buffer.error": .string("\(error)")])
        case .metadataNotSaved(let path, let error):
            logger.warning(
                "could not save chunk metadata at start-up; the chunk is resumed from its data",
                metadata: ["buffer.file": .string(path), "buffer.error": .string("\(error)")])
        case .cleanedUp(let path):
            logger.debug("removed a leftover buffer file", metadata: ["buffer.file": .string(path)])
        }
    }
}
