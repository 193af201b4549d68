import RunnelCore

extension ForwardFrame {
    /// `[tag, entries(, option)]` where entries is a str/bin of concatenated `[time, record]`
    /// arrays, gzip-compressed when `option.compressed == "gzip"`. The entries are validated and
    /// copied as they are, never re-encoded record by record.
    static func parsePacked(
        tag: String, payload: UnsafeRawBufferPointer, option: ForwardOption, options: ForwardDecodingOptions
    ) throws -> ForwardMessage {
        let entries: [UInt8]
        let mode: ForwardMessage.Mode
        switch option.compressed {
        case nil, "text":
            entries = Array(payload)
            mode = .packedForward
        case "gzip":
            entries = try GzipInflater.inflate(payload, limit: options.chunkSizeLimit)
            mode = .compressedPackedForward
        case let other?:
            throw ForwardError(.unsupportedCompression(other))
        }
        do {
            let count = try EventStream.validateEntries(entries)
            return ForwardMessage(mode: mode, tag: tag, entries: entries, count: count)
        } catch let error as MessagePackError {
            guard options.skipInvalidEvents else { throw ForwardError(.invalidEntries(error.description)) }
            let (valid, count, skipped) = validEntries(of: entries)
            return ForwardMessage(mode: mode, tag: tag, entries: valid, count: count, skipped: skipped)
        }
    }

    /// Keeps the well-formed entries; an entry that is valid MessagePack but not `[time, record]`
    /// is skipped, and bytes that are not MessagePack end the walk (nothing after them can be found).
    static func validEntries(of entries: [UInt8]) -> (entries: [UInt8], count: Int, skipped: Int) {
        MessagePackReader.withReader(entries) { reader in
            var kept: [UInt8] = []
            kept.reserveCapacity(entries.count)
            var count = 0
            var skipped = 0
            while !reader.isAtEnd {
                let start = reader.offset
                do {
                    try reader.readEntry { _, _ in }
                    kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.offset]))
                    count += 1
                } catch {
                    reader.offset = start
                    skipped += 1
                    do { try reader.skipValue() } catch { break }
                }
            }
            return (kept, count, skipped)
        }
    }
}
