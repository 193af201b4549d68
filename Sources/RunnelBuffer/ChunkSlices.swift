import RunnelCore

/// Where one entry of a chunk is: its index and its bytes in the chunk's (decoded) data.
struct EntryLocation: Sendable, Equatable {
    var index: UInt32
    var start: UInt32
    var end: UInt32

    /// Nil when the chunk is too large for 32-bit offsets (then nothing is remembered).
    init?(index: Int, start: Int, end: Int) {
        guard let index = UInt32(exactly: index), let start = UInt32(exactly: start), let end = UInt32(exactly: end) else { return nil }
        self.index = index
        self.start = start
        self.end = end
    }
}

/// One slice of a chunk: whole entries, and the chunk index of the first. On a retry, only the
/// entries not yet delivered, with their indices, so the output walks only what it sends.
struct ChunkSlice: Sendable {
    var entries: [UInt8]
    var firstIndex: Int
    /// Entries of the chunk the slice covers (delivered ones included).
    var count: Int
    /// The chunk index of each entry of `entries` when some were left out; nil: all, in order.
    var indices: [Int]?
    /// Where each entry of `entries` is in the chunk (empty when the chunk is too large to say).
    var locations: [EntryLocation]
}

/// Reads a chunk's entries slice by slice, at most `sliceBytes` at a time (a larger entry comes
/// alone), so that a flush holds one slice, not the chunk. A compressed chunk is decoded whole
/// first (its gzip members are not cut at entry boundaries) and then sliced in memory.
///
/// A chunk whose entries still to send are `known` (where an earlier attempt left them) is read
/// at those places only, without walking it again: a retry costs what it sends.
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
    private let known: [EntryLocation]?
    private var knownPosition = 0

    init(id: String, sliceBytes: Int, known: [EntryLocation]? = nil) {
        self.id = id
        self.sliceBytes = max(1, sliceBytes)
        self.known = known
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
        if let known { return try nextKnown(known, storage: storage, delivered: delivered) }
        var window = sliceBytes
        while true {
            let raw = try read(storage, at: offset, window)
            let atEnd = raw.count < window
            // A window grown for one big entry takes that entry alone.
            let scan = EventStream.scanEntries(raw, maxCount: window > sliceBytes ? 1 : .max, recordingStarts: true)
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
            var slice = ChunkSlice(entries: [], firstIndex: nextIndex, count: scan.count, locations: [])
            let someDelivered = (nextIndex..<(nextIndex + scan.count)).contains(where: delivered.contains)
            var indices: [Int] = []
            var locatable = true
            slice.locations.reserveCapacity(scan.count)
            for (position, start) in scan.starts.enumerated() {
                let index = nextIndex + position
                let end = position + 1 < scan.starts.count ? scan.starts[position + 1] : scan.end
                if someDelivered {
                    guard !delivered.contains(index) else { continue }
                    slice.entries.append(contentsOf: raw[start..<end])
                    indices.append(index)
                }
                if locatable, let location = EntryLocation(index: index, start: offset + start, end: offset + end) {
                    slice.locations.append(location)
                } else {
                    locatable = false
                }
            }
            if !locatable { slice.locations = [] }
            if someDelivered {
                slice.indices = indices
            } else {
                slice.entries = scan.end == raw.count ? raw : Array(raw[0..<scan.end])
            }
            offset += scan.end
            nextIndex += scan.count
            return slice
        }
    }

    /// The next run of known entries that fits in a slice (at least one), read in one piece.
    private mutating func nextKnown(_ known: [EntryLocation], storage: any ChunkStorage, delivered: EntrySet) throws -> ChunkSlice? {
        while knownPosition < known.count, delivered.contains(Int(known[knownPosition].index)) { knownPosition += 1 }
        guard knownPosition < known.count else {
            finished = true
            return nil
        }
        let first = known[knownPosition]
        var last = knownPosition
        while last + 1 < known.count, Int(known[last + 1].end) - Int(first.start) <= sliceBytes { last += 1 }
        let raw = try read(storage, at: Int(first.start), Int(known[last].end) - Int(first.start))
        var slice = ChunkSlice(entries: [], firstIndex: Int(first.index), count: Int(known[last].index - first.index) + 1, indices: [], locations: [])
        for location in known[knownPosition...last] where !delivered.contains(Int(location.index)) {
            let from = Int(location.start - first.start)
            let to = Int(location.end - first.start)
            guard to <= raw.count else { throw BufferError.corruptData(path: id, offset: Int(location.start), reason: "chunk shorter than before") }
            slice.entries.append(contentsOf: raw[from..<to])
            slice.indices?.append(Int(location.index))
            slice.locations.append(location)
        }
        knownPosition = last + 1
        nextIndex = Int(known[last].index) + 1
        return slice
    }

    private func read(_ storage: any ChunkStorage, at offset: Int, _ window: Int) throws -> [UInt8] {
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
