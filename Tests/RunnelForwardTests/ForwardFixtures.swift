import NIOCore
import RunnelCore
@testable import RunnelForward

/// Streams and encoded messages shared by the tests.
enum ForwardFixtures {
    static let fixedNow = EventTime(seconds: 1_700_000_123, nanoseconds: 5)

    static func options(limit: Int = 1 << 20, skipInvalid: Bool = false) -> ForwardDecodingOptions {
        ForwardDecodingOptions(chunkSizeLimit: limit, skipInvalidEvents: skipInvalid, now: { fixedNow })
    }

    static func stream(tag: String = "app.test", count: Int, seed: Int = 0) -> EventStream {
        var builder = EventStreamBuilder(tag: tag)
        for index in 0..<count {
            builder.append(
                time: EventTime(seconds: 1_700_000_000 + UInt32(index), nanoseconds: UInt32(index * 7 + seed)),
                record: .record([
                    "message": .string("event \(index) of seed \(seed) " + String(repeating: "x", count: index % 40)),
                    "level": "info",
                    "n": .uint(UInt64(index)),
                ]))
        }
        return builder.build()
    }

    /// The encoded message(s) of `stream` in `mode`, and what the decoder must produce for them.
    static func pair(_ stream: EventStream, mode: ForwardMessage.Mode, chunk: String? = nil) throws -> ([UInt8], [ForwardFrame]) {
        let messages = try ForwardMessageEncoder.encode(stream, mode: mode, chunk: chunk)
        var bytes: [UInt8] = []
        var frames: [ForwardFrame] = []
        if mode == .message {
            var index = 0
            try stream.forEachEntry { time, reader in
                let record = try reader.readValue()
                var entry = EventStreamBuilder(tag: stream.tag)
                entry.append(time: time, record: record)
                let message = messages[index]
                frames.append(
                    .events(
                        ForwardMessage(
                            mode: .message, tag: stream.tag, entries: entry.build().entries, count: 1, chunk: chunk, frameSize: message.count)))
                bytes += message
                index += 1
            }
        } else {
            bytes = messages[0]
            frames = [
                .events(
                    ForwardMessage(
                        mode: mode, tag: stream.tag, entries: stream.entries, count: stream.count, chunk: chunk, frameSize: bytes.count))
            ]
        }
        return (bytes, frames)
    }

    static func encode(_ build: (inout MessagePackWriter) -> Void) -> [UInt8] {
        var writer = MessagePackWriter()
        build(&writer)
        return writer.bytes
    }
}

/// Decodes every frame in `bytes` with a fresh decoder, feeding it in pieces of `split` bytes.
func decodeAll(_ bytes: [UInt8], options: ForwardDecodingOptions, splitAt splits: [Int] = []) throws -> [ForwardFrame] {
    var decoder = ForwardFrameDecoder(options: options)
    var buffer = ByteBuffer()
    var frames: [ForwardFrame] = []
    var start = 0
    for cut in splits + [bytes.count] where cut >= start {
        buffer.writeBytes(bytes[start..<cut])
        start = cut
        while let frame = try decoder.nextFrame(&buffer) { frames.append(frame) }
        buffer.discardReadBytes()
    }
    return frames
}
