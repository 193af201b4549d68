import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

@Suite struct PutRecordsBatcherTests {
    /// A store of records of the given data and key sizes.
    static func store(_ sizes: [(data: Int, key: String)]) -> RecordStore {
        var store = RecordStore()
        for (index, size) in sizes.enumerated() {
            let dataStart = store.bytes.count
            store.bytes.append(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: size.data))
            let keyStart = store.bytes.count
            store.bytes.append(contentsOf: size.key.utf8)
            store.commit(dataStart: dataStart, keyStart: keyStart, entry: index)
        }
        return store
    }

    static func batches(_ store: RecordStore, _ batcher: PutRecordsBatcher) -> [[Int]] {
        var queue = Array(0..<store.count)
        var result: [[Int]] = []
        while !queue.isEmpty {
            let batch = batcher.nextBatch(from: &queue, store: store)
            if batch.isEmpty { break }
            result.append(batch)
        }
        return result
    }

    @Test func fiveHundredAndOneRecordsMakeTwoRequests() {
        let store = Self.store(Array(repeating: (10, "k"), count: 501))
        let batches = Self.batches(store, PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20))
        #expect(batches.map(\.count) == [500, 1])
        #expect(batches.flatMap { $0 } == Array(0..<501))
    }

    @Test func sizeLimitCountsPartitionKeyBytes() {
        // Six records of exactly 1 MiB - 1 byte of data plus a 1-byte key: five fit in 5 MiB, the sixth does not.
        let store = Self.store(Array(repeating: ((1 << 20) - 1, "k"), count: 6))
        #expect(Self.batches(store, PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20)).map(\.count) == [5, 1])
        // One more key byte each: four fit (4 MiB + 4), the fifth would pass 5 MiB.
        let heavier = Self.store(Array(repeating: ((1 << 20) - 1, "kk"), count: 6))
        #expect(Self.batches(heavier, PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20)).map(\.count) == [4, 2])
        // Exactly at the limit is allowed.
        let exact = Self.store(Array(repeating: (99, "k"), count: 10))
        #expect(Self.batches(exact, PutRecordsBatcher(maxCount: 500, maxSize: 500)).map(\.count) == [5, 5])
    }

    @Test func retainOrderingPutsOneRecordPerKeyInARequest() {
        let keys = ["a", "a", "b", "c", "b", "a", "d"]
        let store = Self.store(keys.map { (5, $0) })
        let batches = Self.batches(store, PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20, retainOrdering: true))
        #expect(batches == [[0, 2, 3, 6], [1, 4], [5]])
        var queue = Array(0..<store.count)
        let batch = PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20, retainOrdering: true)
            .nextBatch(from: &queue, store: store, blocked: [ArraySlice("b".utf8)])
        #expect(batch == [0, 3, 6])
        #expect(queue == [1, 2, 4, 5])
    }
}

@Suite struct KinesisRetryPolicyTests {
    @Test func backoffFollowsFluentPluginKinesis() {
        // 2^n × (0.3 + (0.5 − r) × 0.1): r = 0.5 gives 0.3 s scaled, r = 0 the top (0.35), r → 1 the bottom (0.25).
        #expect(KinesisRetryPolicy.backoff(count: 0, jitter: 0.5) == .milliseconds(300))
        #expect(KinesisRetryPolicy.backoff(count: 3, jitter: 0.5) == .milliseconds(2400))
        #expect(KinesisRetryPolicy.backoff(count: 1, jitter: 0) == .milliseconds(700))
        #expect(KinesisRetryPolicy.backoff(count: 2, jitter: 1) == .seconds(1))
    }

    @Test func waitsDoubleWithoutSuccessAndGiveUpAfterTheLimit() {
        var policy = KinesisRetryPolicy(maxRetries: 3, resetBackoffIfSuccess: true)
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .retry(after: .milliseconds(300), attempt: 1))
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .retry(after: .milliseconds(600), attempt: 2))
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .retry(after: .milliseconds(1200), attempt: 3))
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .giveUp)
    }

    @Test func successResetsTheBackoffButNotTheRetryCount() {
        var policy = KinesisRetryPolicy(maxRetries: 4, resetBackoffIfSuccess: true)
        #expect(policy.next(anyAccepted: true, jitter: 0.5) == .retry(after: .milliseconds(300), attempt: 1))
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .retry(after: .milliseconds(600), attempt: 2))
        #expect(policy.next(anyAccepted: true, jitter: 0.5) == .retry(after: .milliseconds(300), attempt: 3))
        #expect(policy.next(anyAccepted: false, jitter: 0.5) == .retry(after: .milliseconds(600), attempt: 4))
        #expect(policy.next(anyAccepted: true, jitter: 0.5) == .giveUp)

        var noReset = KinesisRetryPolicy(maxRetries: 3, resetBackoffIfSuccess: false)
        _ = noReset.next(anyAccepted: true, jitter: 0.5)
        #expect(noReset.next(anyAccepted: true, jitter: 0.5) == .retry(after: .milliseconds(600), attempt: 2))
    }
}

@Suite struct KPLAggregatorTests {
    @Test func encodesTheDocumentedLayout() throws {
        let encoded = KPLAggregator.aggregate([Array("hi".utf8), Array("abc".utf8)], partitionKey: "pk")
        let message: [UInt8] = [
            0x0A, 0x02, 0x70, 0x6B,  // partition_key_table: "pk"
            0x1A, 0x06, 0x08, 0x00, 0x1A, 0x02, 0x68, 0x69,  // record { partition_key_index: 0, data: "hi" }
            0x1A, 0x07, 0x08, 0x00, 0x1A, 0x03, 0x61, 0x62, 0x63,  // record { 0, "abc" }
        ]
        #expect(Array(encoded.prefix(4)) == [0xF3, 0x89, 0x9A, 0xC2])
        #expect(Array(encoded[4..<(encoded.count - 16)]) == message)
        // MD5 of the message, computed independently with Python's hashlib.
        #expect(encoded.suffix(16).map { String(format: "%02x", $0) }.joined() == "f5f99a64342b507277fcc2526ba78ec6")
        #expect(encoded.count == KPLAggregator.overhead(keyCount: 2) + KPLAggregator.recordSize(dataCount: 2) + KPLAggregator.recordSize(dataCount: 3))

        let decoded = try KPLAggregator.decode(encoded)
        #expect(decoded.keys == ["pk"])
        #expect(decoded.records.map(\.data) == [Array("hi".utf8), Array("abc".utf8)])
        #expect(decoded.records.map(\.keyIndex) == [0, 0])
    }

    @Test func largeRecordsUseMultiByteLengths() throws {
        let big = [UInt8](repeating: 7, count: 300)
        let encoded = KPLAggregator.aggregate([big], partitionKey: String(repeating: "k", count: 200))
        #expect(encoded.count == KPLAggregator.overhead(keyCount: 200) + KPLAggregator.recordSize(dataCount: 300))
        #expect(try KPLAggregator.decode(encoded).records.first?.data == big)
        var corrupted = encoded
        corrupted[10] ^= 1
        #expect(throws: KPLAggregator.DecodeError.self) { try KPLAggregator.decode(corrupted) }
    }
}

/// `max_concurrent_requests`: a slice's records are split into runs of whole requests.
struct ConcurrentRunsTests {
    static func store(count: Int) -> RecordStore {
        PutRecordsDeliveryStateMachineTests.store(count: count)
    }

    @Test func runsAreWholeRequestsInOrder() {
        let batcher = PutRecordsBatcher(maxCount: 500, maxSize: 5 << 20)
        #expect(KinesisSender.split(Self.store(count: 2300), into: 4, batcher: batcher) == [0..<500, 500..<1000, 1000..<1500, 1500..<2300])
        #expect(KinesisSender.split(Self.store(count: 2300), into: 2, batcher: batcher) == [0..<1000, 1000..<2300])
        #expect(KinesisSender.split(Self.store(count: 300), into: 4, batcher: batcher) == [0..<300])
        #expect(KinesisSender.split(Self.store(count: 2300), into: 1, batcher: batcher) == [0..<2300])
        #expect(KinesisSender.split(RecordStore(), into: 4, batcher: batcher) == [0..<0])
    }
}
