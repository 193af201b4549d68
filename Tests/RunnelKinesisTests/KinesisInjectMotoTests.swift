import Foundation
import Logging
import RunnelBuffer
import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelKinesis

/// `<inject>` through a real buffer into moto: every event keeps its own tag whatever the chunk keys,
/// as Fluentd formats events when they are written (fluent-plugin-kinesis' `format` calls
/// `inject_values_to_record`), and an injected key the record has keeps its place.
@Suite(.serialized) struct KinesisInjectMotoTests {
    @Test(.enabled(if: KinesisMotoTests.python != nil, "needs python3 with moto and boto3"))
    func eachRecordCarriesItsOwnTagThroughABufferWithoutChunkKeys() async throws {
        let moto = try await KinesisMotoTests.Moto(python: KinesisMotoTests.python!)
        defer { moto.server.stop() }
        try await moto.createStream("mixed", shards: 2)
        let inject = ConfigElement(
            name: "inject", argument: "",
            parameters: [
                ConfigParameter(key: "tag_key", value: "tag", location: .synthesized),
                ConfigParameter(key: "time_key", value: "time", location: .synthesized),
                ConfigParameter(key: "time_type", value: "unixtime_millis", location: .synthesized),
            ], children: [])
        let sender = try moto.sender(["stream_name": "mixed"], children: [inject])
        // `<buffer>` with no chunk keys: one chunk takes every tag.
        let buffer = try BufferedOutput(
            name: "kinesis_streams.0", configuration: BufferConfiguration(type: .memory, chunkKeys: ChunkKeys(tag: false)),
            sender: sender, logger: testLogger())
        let tags = ["app.a", "app.b", "kube.c"]
        var expected: [String: String] = [:]
        for round in 0..<4 {
            for (index, tag) in tags.enumerated() {
                var builder = EventStreamBuilder(tag: tag)
                let seq = round * 10 + index
                // The record already has "tag": Fluentd overwrites it in place, ahead of "seq".
                builder.append(
                    time: EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789),
                    record: .record(["tag": "stale", "seq": .int(Int64(seq))]))
                try await buffer.emit(builder.build())
                expected["{\"tag\":\"\(tag)\",\"seq\":\(seq),\"time\":1700000000123}\n"] = tag
            }
        }
        #expect(buffer.status.stageLength == 1)
        await buffer.flushNow()
        #expect(buffer.status.totalBytes == 0)
        let stored = try await moto.read("mixed").map { String(decoding: $0.data, as: UTF8.self) }
        #expect(stored.count == 12)
        #expect(Set(stored) == Set(expected.keys))
    }
}
