import CZlib

/// gzip (RFC 1952), zlib (RFC 1950) and raw deflate (RFC 1951) through the system zlib, at its default level: the one
/// implementation behind CompressedPackedForward, Kinesis `compression`, compressed buffer chunks
/// and `secondary_file`.
public enum Zlib {
    public enum Format: Sendable {
        case gzip
        case zlib
        /// Raw deflate (RFC 1951), no header or trailer: Avro's `deflate` codec.
        case raw

        /// zlib's windowBits: 15 is a zlib header and Adler-32 trailer, 15 + 16 a gzip header and
        /// CRC-32, -15 neither.
        var windowBits: Int32 {
            switch self {
            case .gzip: 15 + 16
            case .zlib: 15
            case .raw: -15
            }
        }
    }

    /// Appends `input` compressed as one gzip member (or one zlib stream) to `out`.
    public static func compress(
        _ input: UnsafeRawBufferPointer, as format: Format = .gzip, appendingTo out: inout [UInt8]
    ) throws {
        var stream = z_stream()
        var status = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CompressionError(.initialisationFailed(status)) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        status = out.withUnsafeMutableBytes { buffer in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = (buffer.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(bound)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else {
            out.removeSubrange(start...)
            throw CompressionError(.compressionFailed(status))
        }
        out.removeSubrange((start + Int(stream.total_out))...)
    }

    public static func compress(_ input: [UInt8], as format: Format = .gzip) throws -> [UInt8] {
        var out: [UInt8] = []
        try input.withUnsafeBytes { try compress($0, as: format, appendingTo: &out) }
        return out
    }

    /// Inflates gzip data of one or more concatenated members (RFC 1952 section 2.2) without ever
    /// holding more than `limit` bytes of output: a gzip bomb costs at most the limit.
    public static func decompressGzip(_ input: UnsafeRawBufferPointer, limit: Int = .max) throws -> [UInt8] {
        let walk = try walkMembers(input, limit: limit)
        if let failure = walk.failure { throw failure }
        return walk.output
    }

    public static func decompressGzip(_ input: [UInt8], limit: Int = .max) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompressGzip($0, limit: limit) }
    }

    /// Inflates gzip members or zlib streams (HTTP's `Content-Encoding: gzip` and `deflate`), at
    /// most `limit` bytes of output.
    public static func decompress(_ input: UnsafeRawBufferPointer, as format: Format, limit: Int = .max) throws -> [UInt8] {
        let walk = try walkMembers(input, format: format, limit: limit)
        if let failure = walk.failure { throw failure }
        return walk.output
    }

    /// Whole members first: what a file of appended gzip members holds up to the first member that
    /// is cut short or damaged. `wholeBytes` is where that member starts in `input`; `failure` says
    /// what stopped the walk (nil when every byte was a whole member).
    public struct MemberWalk: Sendable {
        public var output: [UInt8]
        public var wholeBytes: Int
        public var failure: CompressionError?
    }

    public static func walkMembers(_ input: UnsafeRawBufferPointer, format: Format = .gzip, limit: Int = .max) throws -> MemberWalk {
        var walk = MemberWalk(output: [], wholeBytes: 0, failure: nil)
        guard !input.isEmpty else { return walk }
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError(.initialisationFailed(Z_STREAM_ERROR))
        }
        defer { inflateEnd(&stream) }
        // Grow by doubling, never past the limit.
        walk.output.reserveCapacity(min(limit, max(4096, input.count * 4)))
        var chunk = [UInt8](repeating: 0, count: min(64 * 1024, max(limit, 1)))
        var position = 0
        var memberOutput = 0  // bytes of the current member already in `output`
        while true {
            stream.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress!.advanced(by: position).assumingMemoryBound(to: Bytef.self))
            let available = input.count - position
            stream.avail_in = uInt(min(available, Int(UInt32.max)))
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let consumed = available - Int(stream.avail_in)
            position += consumed
            let produced = chunk.count - Int(stream.avail_out)
            if produced > 0 {
                guard walk.output.count + produced <= limit else {
                    throw CompressionError(.tooLarge(limit: limit))
                }
                walk.output.append(contentsOf: chunk[0..<produced])
                memberOutput += produced
            }
            func stop(_ failure: CompressionError) -> MemberWalk {
                walk.output.removeLast(memberOutput)
                walk.failure = failure
                return walk
            }
            switch status {
            case Z_STREAM_END:
                walk.wholeBytes = position
                memberOutput = 0
                // Raw deflate is one stream; what follows its end is not read (fastavro, as the
                // Avro reference writers, leaves part of a zlib trailer after each block's stream).
                guard position < input.count, format != .raw else { return walk }
                guard inflateReset(&stream) == Z_OK else { return stop(CompressionError(.corrupt("zlib reset failed"))) }
            case Z_OK:
                if consumed == 0 && produced == 0 && position == input.count { return stop(CompressionError(.truncated)) }
            case Z_BUF_ERROR:
                if position == input.count { return stop(CompressionError(.truncated)) }
            default:
                return stop(CompressionError(.corrupt(stream.msg.map { String(cString: $0) } ?? "error \(status)")))
            }
        }
    }
}

/// Why compressing or decompressing failed.
public struct CompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case initialisationFailed(Int32)
        case compressionFailed(Int32)
        /// The data ends inside a member.
        case truncated
        /// The data is not gzip, or is damaged.
        case corrupt(String)
        /// The output would be larger than the caller allows.
        case tooLarge(limit: Int)
    }

    public var code: Code

    public init(_ code: Code) { self.code = code }

    /// Cut short rather than damaged: more input may complete it (a torn write).
    public var isTruncated: Bool { code == .truncated }

    public var description: String {
        switch code {
        case .initialisationFailed(let status): return "zlib could not be initialised (status \(status))"
        case .compressionFailed(let status): return "zlib could not compress (status \(status))"
        case .truncated: return "gzip data is truncated"
        case .corrupt(let message): return "gzip data is damaged: \(message)"
        case .tooLarge(let limit): return "decompressed data would exceed \(limit) bytes"
        }
    }
}
