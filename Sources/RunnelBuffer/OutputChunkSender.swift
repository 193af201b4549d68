import RunnelCore
import RunnelPipeline

/// A `<secondary>` that is any output: the chunk's undelivered entries are emitted into it.
struct OutputChunkSender: ChunkSender {
    let output: any OutputPlugin

    func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        var builder = EventStreamBuilder(tag: chunk.metadata.tag ?? "", capacity: chunk.entries.count)
        do {
            try chunk.entries.withUnsafeBytes { raw in
                var reader = MessagePackReader(bytes: raw)
                var index = 0
                while !reader.isAtEnd {
                    let start = reader.offset
                    try reader.skipValue()
                    if !chunk.delivered.contains(index) {
                        builder.append(encodedEntries: raw[start..<reader.offset], count: 1)
                    }
                    index += 1
                }
            }
            try await output.emit(builder.build())
            return .delivered
        } catch {
            return .retry(DeliveryError("secondary output failed: \(error)"))
        }
    }
}
