import CZlib

/// Inflates gzip data of one or more concatenated members (CompressedPackedForward sends one
/// member per entry or per batch) without ever holding more than `limit` bytes of output.
enum GzipInflater {
    static func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws(ForwardError) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var stream = z_stream()
        // 16 + MAX_WBITS: gzip wrapper only (RFC 1952).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ForwardError(.decompressionFailed("zlib could not be initialised"))
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        // Start small and grow by doubling, never past the limit: a bomb costs at most `limit`.
        var capacity = min(limit, max(4096, input.count * 4))
        output.reserveCapacity(capacity)
        var chunk = [UInt8](repeating: 0, count: min(64 * 1024, max(limit, 1)))
        var position = 0
        var memberStarted = false
        while true {
            if position == input.count && !memberStarted { break }
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: position).assumingMemoryBound(to: Bytef.self))
            let available = input.count - position
            stream.avail_in = uInt(min(available, Int(UInt32.max)))
            let result: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let consumed = available - Int(stream.avail_in)
            position += consumed
            let produced = chunk.count - Int(stream.avail_out)
            if produced > 0 {
                guard output.count + produced <= limit else { throw ForwardError(.decompressedTooLarge(limit: limit)) }
                if output.count + produced > capacity {
                    capacity = min(limit, max(capacity * 2, output.count + produced))
                    output.reserveCapacity(capacity)
                }
                output.append(contentsOf: chunk[0..<produced])
            }
            memberStarted = true
            switch result {
            case Z_STREAM_END:
                memberStarted = false
                // Another member may follow (several gzip members concatenated, RFC 1952 section 2.2).
                guard position < input.count else { return output }
                guard inflateReset(&stream) == Z_OK else { throw ForwardError(.decompressionFailed("zlib reset failed")) }
            case Z_OK:
                if consumed == 0 && produced == 0 && position == input.count {
                    throw ForwardError(.decompressionFailed("gzip data is truncated"))
                }
            case Z_BUF_ERROR:
                if position == input.count { throw ForwardError(.decompressionFailed("gzip data is truncated")) }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(result)"
                throw ForwardError(.decompressionFailed(message))
            }
        }
        return output
    }
}
