import CZlib

/// Gzip-compresses a payload as one member, for CompressedPackedForward.
enum GzipDeflater {
    static func deflate(_ input: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) throws(ForwardError) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ForwardError(.decompressionFailed("zlib deflate could not be initialised"))
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let result: Int32 = input.withUnsafeBytes { inBuffer in
            output.withUnsafeMutableBytes { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw ForwardError(.decompressionFailed("deflate failed with \(result)")) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
