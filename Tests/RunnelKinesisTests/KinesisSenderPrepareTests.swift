import AsyncHTTPClient
import RunnelBuffer
import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelKinesis

/// A flush formats each pending record while walking it once: the data must be what formatting
/// each record on its own gives, whatever the records hold and whichever were delivered.
@Suite struct KinesisSenderPrepareTests {
    static func sender(_ parameters: [(String, String)]) throws -> KinesisSender {
        let all = [("@type", "kinesis_streams"), ("stream_name", "logs"), ("region", "us-east-1"), ("endpoint", "http://127.0.0.1:9")] + parameters
        let element = ConfigElement(
            name: "match", argument: "app.**", parameters: all.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) })
        return KinesisSender(
            configuration: try KinesisConfiguration(from: element, kind: .streams, environment: [:]),
            credentials: StaticCredentialProvider(), httpClient: HTTPClient.shared, logger: testLogger(), clock: ContinuousClock(),
            jitter: { 0.5 })
    }

    static let records: [MessagePackValue] = [
        .record(["message": "plain", "n": 1]),
        .record(["nested": .record(["a": .array([1, "two", .nil, .bool(true), .double(1.5)])]), "big": .uint(UInt64.max)]),
        .record(["text": "quote \" backslash \\ newline \n é ☃", "bin": .binary([0, 1, 2, 0xff])]),
        .record([:]),
        .record(["deep": .record(["x": .record(["y": .record(["z": .array([.record(["k": "v"])])])])])]),
        .record(["log": "line with trailing newline\n", "stream": "stdout"]),
    ]

    @Test(arguments: [
        [(String, String)](),
        [("append_new_line", "true")],
        [("chomp_record", "true"), ("append_new_line", "false")],
        [("data_key", "log")],
        [("compression", "gzip")],
        [("partition_key", "stream")],
    ])
    func eachPendingRecordIsFormattedAsOnItsOwn(parameters: [(String, String)]) throws {
        let sender = try Self.sender(parameters)
        let delivered = EntrySet([1, 4])
        let chunk = makeChunk(Self.records, delivered: delivered)
        let prepared = try sender.prepare(chunk, stream: "logs")
        var expected: [[UInt8]] = []
        var expectedDropped: [Int] = []
        var expectedEntries: [Int] = []
        for (index, record) in Self.records.enumerated() where !delivered.contains(index) {
            do {
                expected.append(try formatted(RecordFormatter(configuration: sender.configuration), record))
                expectedEntries.append(index)
            } catch is RecordFormatter.Skip {
                expectedDropped.append(index)
            }
        }
        let data = prepared.store.records.map { Array(prepared.store.bytes[$0.data]) }
        // Gzip output carries no timestamp that differs between runs of the same input.
        #expect(data == expected, "\(parameters)")
        #expect(prepared.dropped == EntrySet(expectedDropped), "\(parameters)")
        #expect(prepared.store.records.indices.flatMap { prepared.store.entries(of: $0) } == expectedEntries)
    }
}
