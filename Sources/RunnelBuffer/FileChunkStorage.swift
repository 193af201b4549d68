import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Chunks as files, named as Fluentd's buf_file names them: `buffer.b<id>.log` (staged) or
/// `buffer.q<id>.log` (queued), each with a `.log.meta` beside it. See docs/buffer-format.md.
final class FileChunkStorage: ChunkStorage {
    struct Layout: Sendable {
        var directory: String
        var prefix: String
        var suffix: String

        /// `path` is a directory (files `buffer.*<suffix>` in it) or a pattern with one `*`.
        init(path: String, pathSuffix: String) {
            if let star = path.lastIndex(of: "*") {
                let slash = path[..<star].lastIndex(of: "/")
                directory = slash.map { String(path[..<$0]) } ?? "."
                prefix = String(path[(slash.map { path.index(after: $0) } ?? path.startIndex)..<star])
                suffix = String(path[path.index(after: star)...])
            } else {
                directory = path
                prefix = "buffer."
                suffix = pathSuffix
            }
        }

        func dataPath(_ id: String, queued: Bool) -> String { "\(directory)/\(prefix)\(queued ? "q" : "b")\(id)\(suffix)" }
        func metaPath(_ id: String, queued: Bool) -> String { dataPath(id, queued: queued) + ".meta" }
    }

    private struct OpenChunk {
        var fd: Int32
        var queued: Bool
        var size: Int
    }

    let layout: Layout
    let filePermission: UInt16
    let durable: Bool
    // Mutex: the writer appends while flush threads read, rewrite metadata and remove other chunks.
    private let open = Mutex<[String: OpenChunk]>([:])
    private let directoryDirty = Atomic<Bool>(false)

    let dirPermission: UInt16
    private let directoryMade = Atomic<Bool>(false)

    /// Touches nothing on disk: `runnel --dry-run` builds buffers too. The directory is made
    /// with the first chunk.
    init(path: String, pathSuffix: String, filePermission: UInt16, dirPermission: UInt16, durable: Bool) throws {
        layout = Layout(path: path, pathSuffix: pathSuffix)
        self.filePermission = filePermission
        self.dirPermission = dirPermission
        self.durable = durable
    }

    private func makeDirectory() throws {
        guard !directoryMade.load(ordering: .relaxed) else { return }
        try FileIO.makeDirectories(layout.directory, permission: dirPermission)
        directoryMade.store(true, ordering: .relaxed)
    }

    var isPersistent: Bool { true }

    func create(_ meta: ChunkMetaRecord) throws {
        try makeDirectory()
        // Metadata first: a data file never exists without the keys it was cut by.
        try FileIO.atomicWrite(meta.encoded(), to: layout.metaPath(meta.id, queued: false), permission: filePermission, sync: durable)
        let path = layout.dataPath(meta.id, queued: false)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_t(filePermission))
        guard fd >= 0 else {
            let error = FileIO.error("create", path)
            unlink(layout.metaPath(meta.id, queued: false))
            throw error
        }
        open.withLock { $0[meta.id] = OpenChunk(fd: fd, queued: false, size: 0) }
        directoryDirty.store(true, ordering: .relaxed)
    }

    /// Reopens a staged chunk found at start-up so that appends continue it.
    func reopen(id: String, size: Int) throws {
        let path = layout.dataPath(id, queued: false)
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.error("open", path) }
        open.withLock { $0[id] = OpenChunk(fd: fd, queued: false, size: size) }
    }

    func append(id: String, _ bytes: [UInt8]) throws {
        guard let chunk = open.withLock({ $0[id] }) else { throw BufferError.closed }
        let path = layout.dataPath(id, queued: chunk.queued)
        do {
            try FileIO.writeAll(chunk.fd, bytes, path: path)
        } catch {
            // All or nothing: cut a partial write back so the file ends at a whole entry.
            _ = ftruncate(chunk.fd, off_t(chunk.size))
            throw error
        }
        open.withLock { $0[id]?.size += bytes.count }
    }

    func sync(ids: Set<String>) throws {
        for id in ids {
            guard let chunk = open.withLock({ $0[id] }) else { continue }
            if fdatasync(chunk.fd) != 0 { throw FileIO.error("fdatasync", layout.dataPath(id, queued: chunk.queued)) }
        }
        if directoryDirty.exchange(false, ordering: .relaxed) { try FileIO.syncDirectory(layout.directory) }
    }

    func enqueue(_ meta: ChunkMetaRecord) throws {
        let from = layout.dataPath(meta.id, queued: false)
        let to = layout.dataPath(meta.id, queued: true)
        if rename(from, to) != 0 { throw FileIO.error("rename", from) }
        open.withLock { $0[meta.id]?.queued = true }
        try FileIO.atomicWrite(meta.encoded(), to: layout.metaPath(meta.id, queued: true), permission: filePermission, sync: durable)
        unlink(layout.metaPath(meta.id, queued: false))
        directoryDirty.store(true, ordering: .relaxed)
        if durable { try sync(ids: []) }
    }

    func read(id: String) throws -> [UInt8] {
        let queued = open.withLock { $0[id]?.queued } ?? true
        return try FileIO.readAll(layout.dataPath(id, queued: queued))
    }

    func read(id: String, offset: Int, maxBytes: Int) throws -> [UInt8] {
        let queued = open.withLock { $0[id]?.queued } ?? true
        return try FileIO.read(layout.dataPath(id, queued: queued), offset: offset, maxBytes: maxBytes)
    }

    func writeMeta(_ meta: ChunkMetaRecord) throws {
        let queued = open.withLock { $0[meta.id]?.queued } ?? true
        try FileIO.atomicWrite(meta.encoded(), to: layout.metaPath(meta.id, queued: queued), permission: filePermission, sync: durable)
        if durable {
            directoryDirty.store(true, ordering: .relaxed)
            try sync(ids: [])
        }
    }

    func remove(id: String) throws {
        let chunk = open.withLock { $0.removeValue(forKey: id) }
        if let chunk { Glibc.close(chunk.fd) }
        for queued in [true, false] {
            let data = layout.dataPath(id, queued: queued)
            if unlink(data) != 0, errno != ENOENT { throw FileIO.error("unlink", data) }
        }
        for queued in [true, false] { unlink(layout.metaPath(id, queued: queued)) }
        if durable {
            directoryDirty.store(true, ordering: .relaxed)
            try sync(ids: [])
        }
    }

    func close() {
        let chunks = open.withLock { chunks in
            defer { chunks.removeAll() }
            return chunks
        }
        for (_, chunk) in chunks {
            if durable { _ = fdatasync(chunk.fd) }
            Glibc.close(chunk.fd)
        }
    }
}
