/// A file operation the buffer's single writer carries out, in order (`ChunkWriter`).
enum WriteOperation: Sendable {
    case create(ChunkMetaRecord)
    /// Whole entries for a staged chunk, on behalf of emit call `token`.
    case append(id: String, bytes: [UInt8], count: Int, token: Int)
    case enqueue(ChunkMetaRecord)
    case remove(id: String)
    /// Completes `token` once everything before it is done.
    case barrier(token: Int)
}

/// What one writer batch did, applied to the bookkeeping afterwards.
struct WriteOutcome: Sendable {
    var failedAppends: [(id: String, bytes: Int, count: Int)] = []
    var failedTokens: [Int: BufferError] = [:]
    var succeededTokens: Set<Int> = []
    var failedCreates: [String] = []
    var enqueued: [String] = []
}
