import RunnelCore

extension ForwardFrame {
    /// `[tag, entries(, option)]` where entries is a str/bin of concatenated `[time, record]`
    /// arrays, gzip-compressed when `option.compressed == "gzip"`. Entries already in the pipeline's
    /// `[EventTime, record]` form are validated and copied as they are; others (v1.5 `[time, metadata]`
    /// times, nil times or records) are rewritten entry by entry.
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
        // The fast path: entries already in the pipeline's form are copied as they are.
        if let count = try? EventStream.validateEntries(entries) {
            return ForwardMessage(mode: mode, tag: tag, entries: entries, count: count)
        }
        let (valid, count, skipped) = try normalizedEntries(of: entries, options: options)
        return ForwardMessage(mode: mode, tag: tag, entries: valid, count: count, skipped: skipped)
    }
}
