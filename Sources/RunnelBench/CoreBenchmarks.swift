import RunnelCore

/// MessagePack decode and JSON formatting of ~200-byte records.
func coreBenchmarks() -> [Benchmark] {
    let events = 100_000
    let stream = sampleEventStream(tag: "bench.core", count: events)
    return [
        Benchmark("core.msgpack.validate-entries") {
            let count = try EventStream.validateEntries(stream.entries)
            return Work(items: count, bytes: stream.entries.count)
        },
        Benchmark("core.msgpack.decode-values") {
            var decoded = 0
            try stream.forEachEntry { _, reader in
                _ = try reader.readValue()
                decoded += 1
            }
            return Work(items: decoded, bytes: stream.entries.count)
        },
        Benchmark("core.json.from-msgpack") {
            var out: [UInt8] = []
            out.reserveCapacity(1 << 16)
            var written = 0
            var count = 0
            try stream.forEachEntry { _, reader in
                out.removeAll(keepingCapacity: true)
                try JSONWriter.appendValue(from: &reader, to: &out)
                written += out.count
                count += 1
            }
            return Work(items: count, bytes: written)
        },
    ]
}

/// `count` events shaped like a typical application log line (~200 bytes of MessagePack each).
func sampleEventStream(tag: String, count: Int) -> EventStream {
    var builder = EventStreamBuilder(tag: tag, capacity: count * 220)
    for index in 0..<count {
        builder.append(
            time: EventTime(seconds: 1_700_000_000 + UInt32(index % 1000), nanoseconds: UInt32(index)),
            record: .record([
                "level": "info",
                "host": "ip-10-0-12-34.ec2.internal",
                "service": "checkout",
                "request_id": .string("req-\(index)-4f1c2a9e"),
                "latency_ms": .uint(UInt64(index % 997)),
                "message": "GET /api/v1/orders/12345 completed with status 200 after cache miss on shard 7",
            ]))
    }
    return builder.build()
}
