import CZlib

/// zlib and gzip compression of record data (`compression zlib|gzip`), via the system zlib,
/// as Ruby's `Zlib::Deflate.deflate` and `Zlib::GzipWriter` write them (default level).
enum Compressor {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var description: String { "zlib failed with code \(code)" }
    }

    static func compress(_ input: [UInt8], as compression: RecordCompression, appendingTo out: inout [UInt8]) throws {
        guard compression != .none else {
            out.append(contentsOf: input)
            return
        }
        // windowBits 15: zlib header and Adler-32 trailer; 15 + 16: gzip header and CRC-32 trailer.
        let windowBits: Int32 = compression == .gzip ? 15 + 16 : 15
        var stream = z_stream()
        var status = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(code: status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        var input = input
        status = input.withUnsafeMutableBytes { inputBuffer in
            out.withUnsafeMutableBytes { outputBuffer in
                stream.next_in = inputBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = (outputBuffer.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(bound)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            out.removeSubrange(start...)
            throw Failure(code: status)
        }
        out.removeSubrange((start + Int(stream.total_out))...)
    }
}
