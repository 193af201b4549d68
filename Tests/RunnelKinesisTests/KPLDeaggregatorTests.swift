import Crypto
import Foundation
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

/// KPL aggregates split into their user records: Runnel's own aggregates, the PyPI
/// aws-kinesis-agg package's (the KPL format as AWS publishes it), and what is not an aggregate.
@Suite struct KPLDeaggregatorTests {
    static func aggregate(_ texts: [String], key: String) -> [UInt8] {
        let source = Array(texts.joined().utf8)
        var ranges: [Range<Int>] = []
        var offset = 0
        for text in texts {
            ranges.append(offset..<(offset + text.utf8.count))
            offset += text.utf8.count
        }
        var out: [UInt8] = []
        source.withUnsafeBytes { KPLAggregator.append(records: ranges, from: $0, partitionKey: Array(key.utf8), to: &out) }
        return out
    }

    @Test func runnelsAggregatesSplitIntoTheirRecords() {
        let texts = [#"{"n":1}"#, #"{"n":2}"#, "", String(repeating: "x", count: 300)]
        let records = KPLDeaggregator.records(in: Self.aggregate(texts, key: "fixed"), partitionKey: "outer")
        #expect(records.map { String(decoding: $0.data, as: UTF8.self) } == texts)
        #expect(records.map(\.partitionKey) == Array(repeating: "fixed", count: 4))
        #expect(records.map(\.subSequenceNumber) == [0, 1, 2, 3])
    }

    @Test func whatIsNotAnAggregateIsKeptWhole() {
        let plain = Array(#"{"plain":true}"#.utf8)
        #expect(KPLDeaggregator.records(in: plain, partitionKey: "k") == [.init(partitionKey: "k", explicitHashKey: nil, data: plain, subSequenceNumber: nil)])
        // The magic with a wrong digest: a plain record that happens to start with those bytes.
        var wrongDigest = Self.aggregate(["a", "b"], key: "k")
        wrongDigest[wrongDigest.count - 1] ^= 0xff
        #expect(KPLDeaggregator.records(in: wrongDigest, partitionKey: "p").map(\.data) == [wrongDigest])
        // A right digest over a protobuf that does not parse (a record index past the key table).
        let message: [UInt8] = [0x1A, 0x05, 0x08, 0x07, 0x1A, 0x01, 0x41]
        let broken = KPLAggregator.magic + message + Array(Insecure.MD5.hash(data: message))
        #expect(KPLDeaggregator.records(in: broken, partitionKey: "p").map(\.data) == [broken])
        #expect(KPLDeaggregator.records(in: KPLAggregator.magic, partitionKey: "p").map(\.data) == [KPLAggregator.magic])
    }

    static let python = Python.first(importing: ["aws_kinesis_agg"])

    @Test(.enabled(if: python != nil, "needs python3 with aws-kinesis-agg (scripts/requirements-test.txt)"))
    func awsKinesisAggAggregatesSplitWithTheirKeys() async throws {
        let script = """
            import base64, sys
            from aws_kinesis_agg.aggregator import RecordAggregator
            aggregator = RecordAggregator()
            for i in range(5):
                aggregator.add_user_record("key-%d" % (i % 3), ('{"i":%d}' % i).encode(),
                                           explicit_hash_key="12345" if i == 4 else None)
            key, _, data = aggregator.clear_and_get().get_contents()
            print(key)
            print(base64.b64encode(data).decode())
            """
        let result = try await Python.run(Self.python!, ["-c", script])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let data = Array(Data(base64Encoded: lines[1])!)
        let records = KPLDeaggregator.records(in: data, partitionKey: lines[0])
        #expect(records.map { String(decoding: $0.data, as: UTF8.self) } == (0..<5).map { #"{"i":\#($0)}"# })
        #expect(records.map(\.partitionKey) == ["key-0", "key-1", "key-2", "key-0", "key-1"])
        #expect(records.map(\.explicitHashKey) == [nil, nil, nil, nil, "12345"])
    }
}
