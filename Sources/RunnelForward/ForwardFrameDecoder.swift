import NIOCore
import RunnelCore

/// Splits a byte stream into Forward messages and decodes them: `ByteToMessageHandler(ForwardFrameDecoder(...))`.
///
/// Frames may be split anywhere across reads and several may arrive in one read. A frame whose
/// declared sizes exceed `chunk_size_limit` is rejected as soon as its header arrives, so a
/// connection never buffers more than the limit.
public struct ForwardFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ForwardFrame

    public let options: ForwardDecodingOptions
    private var scanner: MessagePackFrameScanner

    public init(options: ForwardDecodingOptions) {
        self.options = options
        self.scanner = MessagePackFrameScanner(limit: options.chunkSizeLimit)
    }

    /// True while part of a frame has arrived and the rest has not.
    public var hasPartialFrame: Bool { scanner.isInsideValue }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Decodes the next complete frame from `buffer`, consuming it; nil when more bytes are needed.
    public mutating func nextFrame(_ buffer: inout ByteBuffer) throws(ForwardError) -> ForwardFrame? {
        guard buffer.readableBytes > 0 else { return nil }
        var scanner = self.scanner
        defer { self.scanner = scanner }
        let options = self.options
        let result: Result<(ForwardFrame, Int)?, ForwardError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(ForwardError) {
                if !scanner.isInsideValue {
                    // Every Forward message is an array; anything else (an HTTP request, TLS to a plain port) is refused at once.
                    let first = bytes[0]
                    guard (0x90...0x9f).contains(first) || first == 0xdc || first == 0xdd else {
                        throw ForwardError(.malformedFrame("a message must be an array, first byte is 0x\(String(first, radix: 16))"))
                    }
                }
                switch try scanner.scan(bytes) {
                case .needMoreData:
                    return .success(nil)
                case .complete(let length):
                    let frame = try ForwardFrame.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), options: options)
                    return .success((frame, length))
                }
            } catch {
                return .failure(error)
            }
        }
        guard let (frame, length) = try result.get() else { return nil }
        buffer.moveReaderIndex(forwardBy: length)
        return frame
    }
}
