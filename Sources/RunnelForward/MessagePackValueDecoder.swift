import NIOCore
import RunnelCore

/// Splits a byte stream into whole MessagePack values (the client reads HELO, PONG and acks with it).
public struct MessagePackValueDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MessagePackValue

    private var scanner: MessagePackFrameScanner

    public init(limit: Int = 1 << 20) {
        scanner = MessagePackFrameScanner(limit: limit)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var scanner = self.scanner
        defer { self.scanner = scanner }
        let found: (MessagePackValue, Int)? = try buffer.withUnsafeReadableBytes { bytes in
            guard case .complete(let length) = try scanner.scan(bytes) else { return nil }
            var reader = MessagePackReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
            // A HELO's nonce and auth salt are random bytes, in a str from Fluent Bit: kept as sent.
            reader.invalidStringsAsBinary = true
            return (try reader.readValue(), length)
        }
        guard let (value, length) = found else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: length)
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
