import RunnelCore
import RunnelPipeline

/// A `<secondary>` that is any output: the chunk's undelivered entries are emitted into it.
struct OutputChunkSender: ChunkSender {
    let output: any OutputPlugin

    func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        var builder = EventStreamBuilder(tag: chunk.metadata.tag ?? "", capacity: chunk.entries.count)
        do {
            try chunk.forEachPendingEntryBytes { _, bytes in builder.append(encodedEntries: bytes, count: 1) }
            try await output.emit(builder.build())
            return .delivered
        } catch {
            return .retry(DeliveryError("secondary output failed: \(error)"))
        }
    }
}
