/// Carries out a batch of write operations on NIO's thread pool: one at a time per buffer, so
/// appends to a chunk land in the order they were admitted.
///
/// Appends of one batch to one chunk become one `write` (whole event streams, coalesced); with
/// `durable`, one fsync per touched file covers the whole batch: the group commit. Emitters
/// that arrive while a batch is being written form the next batch.
struct ChunkWriter: Sendable {
    let storage: any ChunkStorage
    let durable: Bool
    /// `compress gzip`: each write is one gzip member (`ChunkData`).
    var compress = false

    func execute(_ operations: [WriteOperation]) -> WriteOutcome {
        var outcome = WriteOutcome()
        var order: [String] = []
        var pending: [String: (bytes: [UInt8], parts: [(bytes: Int, count: Int, token: Int)])] = [:]
        var failedChunks: [String: BufferError] = [:]
        var touched: Set<String> = []
        var tokensByChunk: [String: Set<Int>] = [:]

        func fail(_ id: String, _ parts: [(bytes: Int, count: Int, token: Int)], _ error: BufferError) {
            for part in parts {
                outcome.failedAppends.append((id, part.bytes, part.count))
                outcome.failedTokens[part.token] = error
            }
        }

        func writePending(_ id: String) {
            guard let batch = pending.removeValue(forKey: id) else { return }
            do {
                try storage.append(id: id, try ChunkData.encode(batch.bytes, compress: compress))
                touched.insert(id)
                for part in batch.parts {
                    outcome.succeededTokens.insert(part.token)
                    tokensByChunk[id, default: []].insert(part.token)
                }
            } catch {
                fail(id, batch.parts, error as? BufferError ?? .closed)
            }
        }

        for operation in operations {
            switch operation {
            case .create(let meta):
                do { try storage.create(meta) } catch {
                    failedChunks[meta.id] = error as? BufferError ?? .closed
                    outcome.failedCreates.append(meta.id)
                }
            case .append(let id, let bytes, let count, let token):
                if let error = failedChunks[id] {
                    fail(id, [(bytes.count, count, token)], error)
                    continue
                }
                if pending[id] == nil {
                    order.append(id)
                    pending[id] = (bytes, [(bytes.count, count, token)])
                } else {
                    pending[id]!.bytes.append(contentsOf: bytes)
                    pending[id]!.parts.append((bytes.count, count, token))
                }
            case .enqueue(let meta):
                writePending(meta.id)
                // Even if the rename fails the chunk stays readable under its staged name.
                try? storage.enqueue(meta)
                outcome.enqueued.append(meta.id)
            case .remove(let id):
                pending.removeValue(forKey: id)
                try? storage.remove(id: id)
            case .barrier(let token):
                for id in order { writePending(id) }
                order.removeAll()
                outcome.succeededTokens.insert(token)
            }
        }
        for id in order { writePending(id) }
        if durable, !touched.isEmpty {
            do {
                try storage.sync(ids: touched)
            } catch {
                // Not known to be on disk: the emitters must not acknowledge.
                let bufferError = error as? BufferError ?? .closed
                for id in touched { for token in tokensByChunk[id] ?? [] { outcome.failedTokens[token] = bufferError } }
            }
        }
        return outcome
    }
}
