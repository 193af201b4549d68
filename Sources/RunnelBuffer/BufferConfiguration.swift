/// Everything a `<buffer>` section says, with Fluentd's names and defaults
/// (docs.fluentd.org/configuration/buffer-section). Read by `BufferConfiguration+Config.swift`.
public struct BufferConfiguration: Sendable, Equatable {
    /// `@type`: where chunks live.
    public enum StorageType: String, Sendable, CaseIterable { case memory, file }
    /// `compress`.
    public enum Compression: String, Sendable, CaseIterable { case text, gzip }
    /// `flush_mode`.
    public enum FlushMode: String, Sendable, CaseIterable { case `default`, lazy, interval, immediate }
    /// `overflow_action`.
    public enum OverflowAction: String, Sendable, CaseIterable {
        case throwException = "throw_exception", block, dropOldestChunk = "drop_oldest_chunk"
    }

    public var type: StorageType
    public var chunkKeys: ChunkKeys
    /// `path`: the directory of a file buffer (Fluentd also accepts a pattern with `*`).
    public var path: String?
    public var pathSuffix: String = ".log"
    public var chunkLimitSize: Int
    public var chunkLimitRecords: Int?
    public var totalLimitSize: Int
    public var queueLimitLength: Int?
    public var chunkFullThreshold: Double = 0.95
    public var compress: Compression = .text
    public var flushMode: FlushMode = .default
    public var flushInterval: Double = 60
    public var flushThreadCount: Int = 1
    public var flushThreadInterval: Double = 1
    public var flushThreadBurstInterval: Double = 1
    public var flushAtShutdown: Bool
    public var delayedCommitTimeout: Double = 60
    public var overflowAction: OverflowAction = .throwException
    public var retry: RetryPolicy = RetryPolicy()
    public var filePermission: UInt16 = 0o644
    public var dirPermission: UInt16 = 0o755
    /// Runnel's own: fsync (grouped) before `emit` returns, so inputs acknowledge only what is on disk.
    public var durable: Bool = false

    /// The defaults of a buffer of `type` (Fluentd's buf_memory / buf_file defaults).
    public init(type: StorageType, chunkKeys: ChunkKeys = ChunkKeys()) {
        self.type = type
        self.chunkKeys = chunkKeys
        switch type {
        case .memory:
            chunkLimitSize = 8 * 1024 * 1024
            totalLimitSize = 512 * 1024 * 1024
            flushAtShutdown = true
        case .file:
            chunkLimitSize = 256 * 1024 * 1024
            totalLimitSize = 64 * 1024 * 1024 * 1024
            flushAtShutdown = false
        }
    }

    /// `flush_mode default` resolved: lazy with a time chunk key, else interval (Fluentd's rule).
    public var effectiveFlushMode: FlushMode {
        guard flushMode == .default else { return flushMode }
        return chunkKeys.time != nil ? .lazy : .interval
    }

    /// The byte limit of the whole buffer: `queue_limit_length` × `chunk_limit_size` when the
    /// deprecated queue limit is given (as Fluentd computes it), else `total_limit_size`.
    public var effectiveTotalLimit: Int {
        if let queueLimitLength { return queueLimitLength * chunkLimitSize }
        return totalLimitSize
    }

    /// Whether chunks survive a restart.
    public var isPersistent: Bool { type == .file }
}
