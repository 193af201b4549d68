import RunnelCompression

/// CompressedPackedForward payloads: gzip of one or more concatenated members (Fluent Bit sends
/// one per batch, some clients one per entry), inflated to at most `limit` bytes.
enum GzipInflater {
    static func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws(ForwardError) -> [UInt8] {
        do {
            return try Zlib.decompressGzip(input, limit: limit)
        } catch let error as CompressionError {
            if case .tooLarge(let limit) = error.code { throw ForwardError(.decompressedTooLarge(limit: limit)) }
            throw ForwardError(.decompressionFailed(error.description))
        } catch {
            throw ForwardError(.decompressionFailed("\(error)"))
        }
    }

    /// One gzip member, for the CompressedPackedForward messages Runnel sends.
    static func deflate(_ input: [UInt8]) throws(ForwardError) -> [UInt8] {
        do { return try Zlib.compress(input) } catch {
            throw ForwardError(.decompressionFailed("\(error)"))
        }
    }
}
