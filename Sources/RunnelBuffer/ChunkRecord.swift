/// The buffer's bookkeeping of one chunk (the bytes live in `ChunkStorage`).
struct ChunkRecord: Sendable {
    enum State: Sendable, Equatable {
        /// Taking appends.
        case staged
        /// Closed to appends; waiting for the writer to finish its appends and move it to the queue.
        case enqueuing
        /// Waiting to be flushed (possibly until `nextAttemptAt`).
        case queued
        /// Being sent by a flush thread.
        case inFlight
    }

    let id: String
    let metadata: ChunkMetadata
    var state: State
    /// Clock seconds when the chunk was created (for flush_interval and age).
    let createdAt: Double
    /// Wall-clock seconds since the epoch when created (stored in the metadata).
    let createdWall: Int
    /// Bytes and entries appended or reserved by appends in progress.
    var bytes: Int
    var count: Int
    var delivered = EntrySet()
    var retry: RetryStateMachine?
    /// Per-record retries the output asked to keep (`DeliveryResult.deferred`).
    var pendingRetries = PendingRetries()
    /// Where the entries not yet delivered are, as the last (deferred) attempt found them: the
    /// next attempt reads them there without walking the chunk. In memory only.
    var pendingLocations: [EntryLocation]?
    var nextAttemptAt: Double = 0
    var useSecondary = false
    /// Failures of this chunk so far (Fluentd's retry_count).
    var failures = 0
    /// `rejected` was logged for this chunk; later rejections stay quiet.
    var rejectionLogged = false

    func metaRecord(now wall: Int) -> ChunkMetaRecord {
        ChunkMetaRecord(id: id, metadata: metadata, count: count, createdAt: createdWall, modifiedAt: wall, delivered: delivered)
    }
}
