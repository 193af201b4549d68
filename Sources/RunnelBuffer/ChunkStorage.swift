/// Where chunk bytes live: memory or files. Every method blocks and is called on NIO's thread
/// pool; appends to one chunk are issued by one writer at a time (`ChunkWriter`).
protocol ChunkStorage: AnyObject, Sendable {
    var isPersistent: Bool { get }
    /// Finds the chunks a previous run left (file storage); repairs what it can.
    func recover(_ context: RecoveryContext) -> [RecoveredChunk]
    /// Creates an empty staged chunk with its metadata.
    func create(_ meta: ChunkMetaRecord) throws
    /// Appends whole entries to a staged chunk: all of `bytes` or, on failure, nothing.
    func append(id: String, _ bytes: [UInt8]) throws
    /// Makes the given chunks' appends and any new or renamed files durable (fsync).
    func sync(ids: Set<String>) throws
    /// Moves a staged chunk to the queue (`b` → `q`), with its final metadata.
    func enqueue(_ meta: ChunkMetaRecord) throws
    func read(id: String) throws -> [UInt8]
    /// At most `maxBytes` of the chunk's stored bytes from `offset` (fewer at its end).
    func read(id: String, offset: Int, maxBytes: Int) throws -> [UInt8]
    /// Rewrites a chunk's metadata (delivery progress) atomically.
    func writeMeta(_ meta: ChunkMetaRecord) throws
    func remove(id: String) throws
    func close()
}

/// A chunk found at start-up.
struct RecoveredChunk: Sendable {
    var meta: ChunkMetaRecord
    var queued: Bool
    var bytes: Int
}

/// What recovery needs to rebuild lost metadata and to log.
struct RecoveryContext: Sendable {
    var keys: ChunkKeys
    var log: @Sendable (RecoveryEvent) -> Void
}

/// Something start-up found and did, for the log.
enum RecoveryEvent: Sendable {
    case tornTail(path: String, keptBytes: Int, droppedBytes: Int)
    case metadataRebuilt(path: String, reason: String)
    /// The chunk was resumed, but its repaired metadata could not be written (a full disk).
    case metadataNotSaved(path: String, error: BufferError)
    case broken(path: String, error: BufferError)
    case cleanedUp(path: String)
}

/// Chunks in memory: nothing survives a restart.
final class MemoryChunkStorage: ChunkStorage {
    private struct Chunk {
        var bytes: [UInt8]
    }

    // Mutex: appends, reads and removals come from different pool threads.
    private let chunks = Mutex<[String: Chunk]>([:])

    var isPersistent: Bool { false }
    func recover(_ context: RecoveryContext) -> [RecoveredChunk] { [] }
    func create(_ meta: ChunkMetaRecord) throws { chunks.withLock { $0[meta.id] = Chunk(bytes: []) } }
    func append(id: String, _ bytes: [UInt8]) throws { chunks.withLock { $0[id]?.bytes.append(contentsOf: bytes) } }
    func sync(ids: Set<String>) throws {}
    func enqueue(_ meta: ChunkMetaRecord) throws {}
    func read(id: String) throws -> [UInt8] { chunks.withLock { $0[id]?.bytes ?? [] } }
    func read(id: String, offset: Int, maxBytes: Int) throws -> [UInt8] {
        chunks.withLock { chunks in
            guard let bytes = chunks[id]?.bytes, offset < bytes.count else { return [] }
            return Array(bytes[offset..<(offset + min(maxBytes, bytes.count - offset))])
        }
    }
    func writeMeta(_ meta: ChunkMetaRecord) throws {}
    func remove(id: String) throws { _ = chunks.withLock { $0.removeValue(forKey: id) } }
    func close() {}
}

import Synchronization
