import RunnelBuffer
import RunnelFormat

extension KinesisSender {
    /// `--check`: the stream (or delivery stream) exists and these credentials may describe it.
    /// Throws a `KinesisError` naming the stream, region and AWS error otherwise.
    public func checkDestination() async throws -> String {
        let what = configuration.kind == .firehose ? "delivery stream" : "stream"
        try await client.describe(stream: configuration.streamName)
        return "\(what) '\(configuration.streamName)' in \(configuration.region) is reachable with the configured credentials"
    }

    /// `<inject>` is applied as events are written to the buffer, as fluent-plugin-kinesis does in
    /// `format`: each event keeps its own tag whatever the chunk keys, and a flush formats records
    /// that already hold the injected fields.
    public func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]? {
        guard let inject = configuration.inject else { return nil }
        return try EventFormatter.injecting(inject, tag: tag, entries: entries)
    }

    /// Formats `chunk`'s pending records, cuts them into requests and writes each request body,
    /// without sending anything: for benchmarks and dry runs. Returns the number of records.
    public func encodeRequests(_ chunk: ChunkToSend, _ each: ([UInt8]) -> Void) throws -> Int {
        let stream = chunk.metadata.expand(configuration.streamName)
        var store = try prepare(chunk, stream: stream).store
        if configuration.kind == .streamsAggregated { store = aggregate(store, stream: stream) }
        var batcher = PutRecordsBatcher(configuration: configuration)
        // The plain cut by count and size, without retain_ordering's one record per key per request.
        batcher.retainOrdering = false
        var queue = Array(0..<store.count)
        var body: [UInt8] = []
        while !queue.isEmpty {
            let batch = batcher.nextBatch(from: &queue, store: store)
            PutRecordsRequest.writeBody(kind: configuration.kind, streamName: stream, records: batch, store: store, into: &body)
            each(body)
        }
        return store.entryIndices.count
    }
}
