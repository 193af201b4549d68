import RunnelCore

/// One slice of a chunk: whole entries, and the chunk index of the first. On a retry, only the
/// entries not yet delivered, with their indices, so the output walks only what it sends.
struct ChunkSlice: Sendable {
    var entries: [UInt8]
    var firstIndex: Int
    /// Entries of the chunk the slice covers (delivered ones included).
    var count: Int
    /// The chunk index of each entry of `entries` when some were left out; nil: all, in order.
    var indices: [Int]?
}

/// Reads a chunk's entries slice by slice, at most `sliceBytes` at a time (a larger entry comes
/// alone), so that a flush holds one slice, not the chunk. A compressed chunk is decoded whole
/// first (its gzip members are not cut at entry boundaries) and then sliced in memory.
///
/// The walk stops at the first entry that cannot be read: a torn tail (a crash cut the last
/// write) or damage, as the whole-chunk read did; recovery at start-up has already logged both.
struct ChunkSlices: Sendable {
    let id: String
    let sliceBytes: Int
    private var offset = 0
    private var nextIndex = 0
    private var decoded: [UInt8]?
    private var finished = false

    init(id: String, sliceBytes: Int) {
        self.id = id
        self.sliceBytes = max(1, sliceBytes)
    }

    /// Entries read so far (the index after the last slice's).
    var entriesRead: Int { nextIndex }

    /// The next slice, or nil after the last; entries in `delivered` are left out of it. Blocks
    /// (file reads): call it on the thread pool.
    mutating func next(from storage: any ChunkStorage, delivered: EntrySet = EntrySet()) throws -> ChunkSlice? {
        guard !finished else { return nil }
        if offset == 0, decoded == nil, ChunkData.isCompressed(try storage.read(id: id, offset: 0, maxBytes: 2)) {
            decoded = try ChunkData.decode(storage.read(id: id)).entries
        }
        var window = sliceBytes
        while true {
            let raw = try read(storage, window)
            let atEnd = raw.count < window
            // A window grown for one big entry takes that entry alone.
            let scan = EventStream.scanEntries(raw, maxCount: window > sliceBytes ? 1 : .max)
            if scan.count == 0 {
                // Nothing whole in the window: a bigger entry (read more), or the end.
                if atEnd || scan.error.map({ !$0.needsMoreInput }) ?? true {
                    finished = true
                    return nil
                }
                window = window > Int.max / 2 ? Int.max : window * 2
                continue
            }
            if let error = scan.error, !error.needsMoreInput { finished = true }
            var slice = ChunkSlice(
                entries: scan.end == raw.count ? raw : Array(raw[0..<scan.end]), firstIndex: nextIndex, count: scan.count)
            if (nextIndex..<(nextIndex + scan.count)).contains(where: delivered.contains) {
                slice = try Self.pending(of: raw[0..<scan.end], firstIndex: nextIndex, count: scan.count, delivered: delivered)
            }
            offset += scan.end
            nextIndex += scan.count
            return slice
        }
    }

    /// The entries of `bytes` (whole, already scanned) that are not in `delivered`.
    static func pending(of bytes: ArraySlice<UInt8>, firstIndex: Int, count: Int, delivered: EntrySet) throws -> ChunkSlice {
        var entries: [UInt8] = []
        var indices: [Int] = []
        try bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(bytes: raw)
            var index = firstIndex
            while !reader.isAtEnd {
                let start = reader.offset
                try reader.skipValue()
                if !delivered.contains(index) {
                    entries.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<reader.offset]))
                    indices.append(index)
                }
                index += 1
            }
        }
        return ChunkSlice(entries: entries, firstIndex: firstIndex, count: count, indices: indices)
    }

    private func read(_ storage: any ChunkStorage, _ window: Int) throws -> [UInt8] {
        guard let decoded else { return try storage.read(id: id, offset: offset, maxBytes: window) }
        guard offset < decoded.count else { return [] }
        let count = min(window, decoded.count - offset)
        return offset == 0 && count == decoded.count ? decoded : Array(decoded[offset..<(offset + count)])
    }
}

/// A flush's delivery progress, recorded after each answer of the destination and saved to the
/// chunk's metadata group-committed: at most one write in flight per chunk, and whatever was
/// accepted while it ran goes into the next one. So a crash re-sends only what was in flight
/// or accepted since the last write, not the part of the chunk already accepted.
final class ChunkProgress: Sendable {
    private struct State {
        /// A save runs (its task may not be stored yet).
        var saving = false
        var task: Task<Void, Never>?
        var dirty = false
        var acceptedThisFlush = 0
        var saveFailed = false
    }

    let id: String
    private unowned let output: BufferedOutput
    private let state = Mutex(State())

    init(id: String, output: BufferedOutput) {
        self.id = id
        self.output = output
    }

    /// Entries accepted in this flush so far.
    var acceptedThisFlush: Int { state.withLock { $0.acceptedThisFlush } }

    /// Adds `entries` to the chunk's delivered entries and starts (or extends) a save.
    func accept(_ entries: EntrySet) {
        guard !entries.isEmpty else { return }
        let newly = output.state.withLock { state -> Int in
            guard state.chunks[id] != nil else { return 0 }
            return state.chunks[id]!.delivered.formUnionCountingNew(entries)
        }
        guard newly > 0 else { return }
        output.metrics.flushedRecords.increment(by: newly)
        let persistent = output.storage.isPersistent
        let start = state.withLock { state -> Bool in
            state.acceptedThisFlush += newly
            guard persistent else { return false }
            if state.saving {
                state.dirty = true
                return false
            }
            state.saving = true
            return true
        }
        if start {
            let task = Task { await self.save() }
            state.withLock { $0.task = task }
        }
    }

    /// Waits for the save in flight; then, with `saveRest`, saves what it did not cover.
    func finish(saveRest: Bool) async {
        while true {
            let (saving, task) = state.withLock { ($0.saving, $0.task) }
            guard saving else { break }
            if let task { await task.value } else { await Task.yield() }
        }
        let dirty = state.withLock { state in
            defer { state.dirty = false }
            return state.dirty
        }
        if saveRest, dirty { await writeOnce() }
    }

    private func save() async {
        while true {
            await writeOnce()
            let again = state.withLock { state -> Bool in
                if state.dirty {
                    state.dirty = false
                    return true
                }
                state.saving = false
                return false
            }
            if !again { return }
        }
    }

    private func writeOnce() async {
        let wall = Int(output.clock.wall)
        guard let meta = output.state.withLock({ $0.chunks[id]?.metaRecord(now: wall) }) else { return }
        do {
            try await output.pool.runIfActive { [storage = output.storage] in try storage.writeMeta(meta) }
        } catch {
            let first = state.withLock { state in
                defer { state.saveFailed = true }
                return !state.saveFailed
            }
            if first {
                output.logger.error(
                    "could not save delivery progress; accepted records may be sent again after a restart",
                    metadata: ["buffer.chunk": .string(id), "buffer.error": .string("\(error)")])
            }
        }
    }
}

import Synchronization
