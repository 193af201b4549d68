import RunnelCompression

/// A chunk's bytes as stored: `[time, record]` entries, or with `compress gzip` one gzip member per
/// write (Fluentd's compressed chunks are appended gzip members too). Which one a chunk holds is
/// told by its first bytes (gzip's 1f 8b; an entry starts with an array header), so chunks written
/// before `compress` changed are still read right.
enum ChunkData {
    static func isCompressed(_ stored: [UInt8]) -> Bool {
        stored.count >= 2 && stored[0] == 0x1f && stored[1] == 0x8b
    }

    /// What to append for `entries`.
    static func encode(_ entries: [UInt8], compress: Bool) throws -> [UInt8] {
        guard compress else { return entries }
        do { return try Zlib.compress(entries) } catch {
            throw BufferError.corruptData(path: "<gzip>", offset: 0, reason: "could not compress: \(error)")
        }
    }

    /// The entries of whole gzip members of a compressed chunk, and where in `stored` they end (a
    /// member cut short by a crash is not delivered, like a torn entry); the stored bytes of an
    /// uncompressed chunk as they are.
    static func decode(_ stored: [UInt8]) throws -> (entries: [UInt8], storedBytes: Int, damage: CompressionError?) {
        guard isCompressed(stored) else { return (stored, stored.count, nil) }
        let walk = try stored.withUnsafeBytes { try Zlib.walkMembers($0) }
        return (walk.output, walk.wholeBytes, walk.failure)
    }
}
