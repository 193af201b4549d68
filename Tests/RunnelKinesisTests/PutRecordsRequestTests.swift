import Foundation
import RunnelCore
import Testing

@testable import RunnelKinesis

/// The request body written by hand: read back with Foundation's JSON and base64 decoders.
@Suite struct PutRecordsRequestTests {
    /// Encodes `input` after a byte already in the buffer, as the body writes it.
    static func base64(_ input: [UInt8]) -> (text: String, written: Int) {
        var out = [UInt8](repeating: UInt8(ascii: "x"), count: 1 + Base64.encodedCount(input.count))
        let written = input.withUnsafeBytes { bytes in out.withUnsafeMutableBytes { Base64.encode(bytes, into: $0.baseAddress! + 1) } }
        #expect(out[0] == UInt8(ascii: "x"))
        return (String(decoding: out.dropFirst(), as: UTF8.self), written)
    }

    @Test func base64MatchesFoundationAtEveryLengthAndByte() {
        var generator = SplitMix64(seed: 7)
        for length in 0..<200 {
            let input = (0..<length).map { index in length % 3 == 0 ? UInt8(truncatingIfNeeded: index * 37) : UInt8.random(in: 0...255, using: &generator) }
            let encoded = Self.base64(input)
            #expect(encoded.text == Data(input).base64EncodedString(), "length \(length)")
            #expect(encoded.written == Base64.encodedCount(length))
        }
        let all = Array(0...255).map { UInt8($0) }
        #expect(Self.base64(all).text == Data(all).base64EncodedString())
    }

    static func store(_ records: [(data: String, key: String)]) -> RecordStore {
        var store = RecordStore()
        for (index, record) in records.enumerated() {
            let dataStart = store.bytes.count
            store.bytes.append(contentsOf: record.data.utf8)
            let keyStart = store.bytes.count
            store.bytes.append(contentsOf: record.key.utf8)
            store.commit(dataStart: dataStart, keyStart: keyStart, entry: index)
        }
        return store
    }

    static func decode(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    @Test func streamsBodyCarriesEachChosenRecordWithItsKey() throws {
        let records = [
            (data: #"{"message":"plain"}"#, key: "0123456789abcdef"),
            (data: "", key: #"quote " backslash \ tab "# + "\t" + " é ☃"),
            (data: String(repeating: "long line ", count: 300), key: "k"),
            (data: "\u{1}\u{0}binary-ish", key: "\u{1f}"),
        ]
        let store = Self.store(records)
        var body: [UInt8] = Array(repeating: 0x41, count: 10)  // what a reused buffer held before
        PutRecordsRequest.writeBody(kind: .streams, streamName: "logs \"prod\"", records: [3, 0, 1, 2], store: store, into: &body)
        let json = try Self.decode(body)
        #expect(json["StreamName"] as? String == "logs \"prod\"")
        let sent = try #require(json["Records"] as? [[String: String]])
        #expect(sent.count == 4)
        for (position, index) in [3, 0, 1, 2].enumerated() {
            #expect(sent[position]["PartitionKey"] == records[index].key)
            #expect(sent[position]["Data"].flatMap { Data(base64Encoded: $0) } == Data(records[index].data.utf8))
        }
    }

    @Test func firehoseBodyHasNoPartitionKeys() throws {
        let store = Self.store([(data: "a", key: "ignored"), (data: "bc", key: "ignored")])
        var body: [UInt8] = []
        PutRecordsRequest.writeBody(kind: .firehose, streamName: "delivery", records: [1], store: store, into: &body)
        #expect(String(decoding: body, as: UTF8.self) == #"{"DeliveryStreamName":"delivery","Records":[{"Data":"YmM="}]}"#)
    }

    @Test func aReusedBufferHoldsOnlyTheNewBody() {
        let store = Self.store([(data: String(repeating: "x", count: 2000), key: "long-key"), (data: "a", key: "k")])
        var fresh: [UInt8] = []
        PutRecordsRequest.writeBody(kind: .streams, streamName: "s", records: [1], store: store, into: &fresh)
        var reused: [UInt8] = []
        PutRecordsRequest.writeBody(kind: .streams, streamName: "s", records: [0, 1], store: store, into: &reused)
        PutRecordsRequest.writeBody(kind: .streams, streamName: "s", records: [1], store: store, into: &reused)
        #expect(reused == fresh)
        #expect(String(decoding: reused, as: UTF8.self) == #"{"StreamName":"s","Records":[{"Data":"YQ==","PartitionKey":"k"}]}"#)
    }

    @Test func needsEscapeAgreesWithTheWriter() {
        for text in ["", "plain ascii text longer than eight", "tab\t", "q\"", "b\\", "é", "0123456\u{7f}", "01234567\u{1}"] {
            var written: [UInt8] = []
            let needs = Array(text.utf8).withUnsafeBytes { bytes in
                JSONWriter.appendString(bytes, to: &written)
                return JSONWriter.needsEscape(bytes)
            }
            let asIs = written == Array(("\"" + text + "\"").utf8)
            // Non-ASCII UTF-8 is written as it is but still takes the writer's slow path.
            #expect(needs == (!asIs || text.utf8.contains { $0 >= 0x80 }), "\(text)")
        }
    }
}
