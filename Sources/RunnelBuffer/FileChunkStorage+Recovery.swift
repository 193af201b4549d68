import RunnelCompression
import RunnelCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Start-up: every chunk a previous run left is resumed, repaired, or set aside, never deleted
/// while it may hold undelivered entries (docs/buffer-format.md, "Recovery").
extension FileChunkStorage {
    private struct Found {
        var data: [Bool: Bool] = [:]  // queued -> exists
        var meta: [Bool: Bool] = [:]
    }

    func recover(_ context: RecoveryContext) -> [RecoveredChunk] {
        guard let names = try? FileIO.listDirectory(layout.directory) else { return [] }
        var found: [String: Found] = [:]
        for name in names {
            guard name.hasPrefix(layout.prefix) else { continue }
            var rest = Substring(name.dropFirst(layout.prefix.count))
            guard let letter = rest.first, letter == "b" || letter == "q" else { continue }
            rest = rest.dropFirst()
            if rest.hasSuffix(layout.suffix + ".meta.tmp") {
                unlink(layout.directory + "/" + name)
                context.log(.cleanedUp(path: layout.directory + "/" + name))
                continue
            }
            let isMeta = rest.hasSuffix(layout.suffix + ".meta")
            let idPart = isMeta ? rest.dropLast(layout.suffix.count + 5) : rest
            guard isMeta || rest.hasSuffix(layout.suffix) else { continue }
            let id = String(isMeta ? idPart : idPart.dropLast(layout.suffix.count))
            guard !id.isEmpty, id.allSatisfy(\.isHexDigit) else { continue }
            if isMeta { found[id, default: Found()].meta[letter == "q"] = true } else { found[id, default: Found()].data[letter == "q"] = true }
        }
        var chunks: [RecoveredChunk] = []
        for id in found.keys.sorted() {
            if let chunk = recoverChunk(id: id, found: found[id]!, context: context) { chunks.append(chunk) }
        }
        return chunks
    }

    private func recoverChunk(id: String, found: Found, context: RecoveryContext) -> RecoveredChunk? {
        guard found.data[true] == true || found.data[false] == true else {
            // Metadata without data: the chunk was being created or removed; nothing to deliver.
            for queued in [true, false] where found.meta[queued] == true {
                unlink(layout.metaPath(id, queued: queued))
                context.log(.cleanedUp(path: layout.metaPath(id, queued: queued)))
            }
            return nil
        }
        let queued = found.data[true] == true
        if queued, found.data[false] == true {
            // Cannot happen by our ordering; keep the staged file aside rather than guess.
            setAside(
                layout.dataPath(id, queued: false),
                error: .corruptData(path: layout.dataPath(id, queued: false), offset: 0, reason: "a queued file with the same id exists"), context: context)
        }
        let path = layout.dataPath(id, queued: queued)
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readAll(path)
        } catch let error as BufferError {
            setAside(path, error: error, context: context)
            return nil
        } catch {
            return nil
        }
        if ChunkData.isCompressed(bytes) { return recoverCompressedChunk(id: id, found: found, queued: queued, path: path, bytes: bytes, context: context) }
        let scan = Self.scanEntries(bytes)
        let damage = scan.corruptAt.map { BufferError.corruptData(path: path, offset: $0, reason: "not a [time, record] entry") }
        guard keepWholePrefix(path: path, bytes: bytes, wholeBytes: scan.validBytes, damage: damage, context: context) else { return nil }
        return resume(
            id: id, found: found, queued: queued, path: path, entries: Array(bytes[0..<scan.validBytes]), count: scan.count,
            fileSize: scan.validBytes, context: context)
    }

    /// `compress gzip` chunks: whole gzip members are kept, a member cut short by a crash is cut
    /// off like a torn entry, and a damaged member keeps the file aside as `*.broken` with the whole
    /// members before it delivered.
    private func recoverCompressedChunk(
        id: String, found: Found, queued: Bool, path: String, bytes: [UInt8], context: RecoveryContext
    ) -> RecoveredChunk? {
        let data: (entries: [UInt8], storedBytes: Int, damage: CompressionError?)
        do { data = try ChunkData.decode(bytes) } catch {
            setAside(path, error: .corruptData(path: path, offset: 0, reason: "\(error)"), context: context)
            return nil
        }
        let scan = Self.scanEntries(data.entries)
        guard scan.validBytes == data.entries.count else {
            // Members are whole writes of whole entries: entries that do not walk are damage no
            // crash makes. Keep the file for an operator.
            setAside(path, error: .corruptData(path: path, offset: 0, reason: "a gzip member holds no whole entries"), context: context)
            return nil
        }
        let damage = data.damage.flatMap { $0.isTruncated ? nil : BufferError.corruptData(path: path, offset: data.storedBytes, reason: $0.description) }
        guard keepWholePrefix(path: path, bytes: bytes, wholeBytes: data.storedBytes, damage: damage, context: context) else { return nil }
        return resume(
            id: id, found: found, queued: queued, path: path, entries: data.entries, count: scan.count,
            fileSize: data.storedBytes, context: context)
    }

    /// Cuts the file back to its whole entries (or members). Damage (not a torn tail) first keeps
    /// every byte for an operator in `*.broken`; the whole part before it is still delivered.
    /// False when the file had to be set aside instead.
    private func keepWholePrefix(path: String, bytes: [UInt8], wholeBytes: Int, damage: BufferError?, context: RecoveryContext) -> Bool {
        if let damage {
            do {
                try FileIO.atomicWrite(bytes, to: path + ".broken", permission: filePermission, sync: durable)
                context.log(.broken(path: path + ".broken", error: damage))
            } catch {
                setAside(path, error: error as? BufferError ?? FileIO.error("copy", path), context: context)
                return false
            }
        }
        guard wholeBytes < bytes.count else { return true }
        if truncate(path, off_t(wholeBytes)) != 0 {
            setAside(path, error: FileIO.error("truncate", path), context: context)
            return false
        }
        if damage == nil { context.log(.tornTail(path: path, keptBytes: wholeBytes, droppedBytes: bytes.count - wholeBytes)) }
        return true
    }

    /// Metadata read or rebuilt, the chunk resumed (a staged one reopened for appends), or removed
    /// when nothing in it is left to deliver.
    private func resume(
        id: String, found: Found, queued: Bool, path: String, entries: [UInt8], count: Int, fileSize: Int,
        context: RecoveryContext
    ) -> RecoveredChunk? {
        var meta =
            readMeta(id: id, found: found, queued: queued, context: context)
            ?? rebuildMeta(id: id, bytes: entries, path: path, context: context)
        meta.count = count
        if count == 0 || (0..<count).allSatisfy(meta.delivered.contains) {
            // Empty, or every entry already accepted: finish the removal the last run began.
            try? remove(id: id)
            return nil
        }
        do {
            try FileIO.atomicWrite(meta.encoded(), to: layout.metaPath(id, queued: queued), permission: filePermission, sync: durable)
            if found.meta[!queued] == true { unlink(layout.metaPath(id, queued: !queued)) }
        } catch {
            // The data is whole; only the metadata could not be rewritten (a full disk). Resume the
            // chunk from what was read and leave its files as they are: setting it aside would
            // withhold acknowledged events until an operator steps in.
            let metaPath = layout.metaPath(id, queued: queued)
            context.log(.metadataNotSaved(path: metaPath, error: error as? BufferError ?? FileIO.error("write", metaPath)))
        }
        if !queued {
            do { try reopen(id: id, size: fileSize) } catch let error as BufferError {
                setAside(path, error: error, context: context)
                return nil
            } catch {
                return nil
            }
        }
        return RecoveredChunk(meta: meta, queued: queued, bytes: entries.count)
    }

    private func readMeta(id: String, found: Found, queued: Bool, context: RecoveryContext) -> ChunkMetaRecord? {
        for letter in [queued, !queued] where found.meta[letter] == true {
            let path = layout.metaPath(id, queued: letter)
            do {
                let meta = try ChunkMetaRecord(decoding: try FileIO.readAll(path), path: path)
                if meta.id == id { return meta }
                context.log(.metadataRebuilt(path: path, reason: "it names chunk \(meta.id)"))
            } catch {
                context.log(.metadataRebuilt(path: path, reason: "\(error)"))
            }
        }
        if found.meta[queued] != true, found.meta[!queued] != true {
            context.log(.metadataRebuilt(path: layout.metaPath(id, queued: queued), reason: "the file is missing"))
        }
        return nil
    }

    /// Metadata from the entries themselves: time key and record keys from the first entry.
    /// The tag is not in the data; such a chunk is delivered with no tag.
    private func rebuildMeta(id: String, bytes: [UInt8], path: String, context: RecoveryContext) -> ChunkMetaRecord {
        var metadata = ChunkMetadata()
        var keys = context.keys
        keys.tag = false
        if let first = try? keys.split(EventStream(tag: "", entries: bytes, count: 0)).first {
            metadata = first.metadata
        }
        var info = stat()
        let modified = stat(path, &info) == 0 ? Int(info.st_mtim.tv_sec) : 0
        return ChunkMetaRecord(id: id, metadata: metadata, count: 0, createdAt: modified, modifiedAt: modified)
    }

    /// Renames an unreadable file to `*.broken` (with its metadata): kept for an operator, never deleted.
    private func setAside(_ path: String, error: BufferError, context: RecoveryContext) {
        rename(path, path + ".broken")
        if FileIO.exists(path + ".meta") { rename(path + ".meta", path + ".meta.broken") }
        context.log(.broken(path: path + ".broken", error: error))
    }

    /// Walks entries: how many are whole, where the whole ones end, and where real corruption (not
    /// a torn tail) starts, if anywhere.
    static func scanEntries(_ bytes: [UInt8]) -> (count: Int, validBytes: Int, corruptAt: Int?) {
        let scan = EventStream.scanEntries(bytes)
        guard let error = scan.error, !error.needsMoreInput else { return (scan.count, scan.end, nil) }
        // Zeros after the last whole entry are a torn tail on file systems that extend first.
        let tailIsZero = !bytes[scan.end...].contains { $0 != 0 }
        return (scan.count, scan.end, tailIsZero ? nil : scan.end)
    }
}
