import Foundation
import Synchronization
import Testing

@testable import RunnelKinesis

/// `ShardFollower` over an in-memory stream that answers as the Kinesis API reference
/// describes (moto does not end a closed shard's iterators, so it cannot show a reshard): a
/// closed shard read to its end answers no NextShardIterator; an iterator can expire.
@Suite struct ShardFollowerTests {
    final class MemoryStream: ShardReading, Sendable {
        struct State {
            var shards: [KinesisStreamReader.Shard] = []
            var records: [String: [KinesisStreamReader.Record]] = [:]
            /// Iterator -> (shard, index of the next record).
            var iterators: [String: (shard: String, next: Int)] = [:]
            var issued = 0
            var expireNext = false
            var calls: [String] = []
        }

        let state = Mutex(State())

        func add(shard id: String, parents: [String] = [], closed: Bool = false, records: [(key: String, data: String)]) {
            state.withLock { state in
                let base = state.records.values.reduce(0) { $0 + $1.count }
                state.shards.append(
                    KinesisStreamReader.Shard(
                        id: id, parentID: parents.first, adjacentParentID: parents.count > 1 ? parents[1] : nil, startingHashKey: "0",
                        endingHashKey: "1", startingSequenceNumber: "0", endingSequenceNumber: closed ? "999" : nil))
                state.records[id] = records.enumerated().map { index, record in
                    KinesisStreamReader.Record(
                        partitionKey: record.key, sequenceNumber: String(base + index + 1), arrival: nil, data: Array(record.data.utf8))
                }
            }
        }

        func append(shard id: String, key: String, data: String) {
            state.withLock { state in
                let sequence = state.records.values.reduce(0) { $0 + $1.count } + 1
                state.records[id, default: []].append(
                    KinesisStreamReader.Record(partitionKey: key, sequenceNumber: String(sequence), arrival: nil, data: Array(data.utf8)))
            }
        }

        func listShards(stream: String) async throws(KinesisError) -> [KinesisStreamReader.Shard] {
            state.withLock { $0.shards }
        }

        func shardIterator(stream: String, shard: String, from position: KinesisStreamReader.Position) async throws(KinesisError) -> String {
            state.withLock { state in
                let records = state.records[shard] ?? []
                let next: Int
                switch position {
                case .latest: next = records.count
                case .trimHorizon, .atTimestamp: next = 0
                case .afterSequenceNumber(let sequence): next = (records.firstIndex { $0.sequenceNumber == sequence } ?? -1) + 1
                }
                state.calls.append("GetShardIterator \(shard) \(position)")
                state.issued += 1
                let iterator = "it-\(state.issued)"
                state.iterators[iterator] = (shard, next)
                return iterator
            }
        }

        func records(stream: String, iterator: String, limit: Int) async throws(KinesisError) -> KinesisStreamReader.RecordsPage {
            let result: Result<KinesisStreamReader.RecordsPage, KinesisError> = state.withLock { state in
                if state.expireNext {
                    state.expireNext = false
                    return .failure(KinesisError(.service(code: "ExpiredIteratorException", status: 400), message: "expired", stream: stream, region: "r"))
                }
                guard let (shard, next) = state.iterators[iterator] else {
                    return .failure(KinesisError(.service(code: "InvalidArgumentException", status: 400), message: iterator, stream: stream, region: "r"))
                }
                let all = state.records[shard] ?? []
                // Two records a page, so a shard takes several rounds.
                let page = Array(all[min(next, all.count)..<min(next + 2, all.count)])
                let end = next + page.count
                let closed = state.shards.first { $0.id == shard }?.isOpen == false
                var nextIterator: String?
                if !(closed && end >= all.count) {
                    state.issued += 1
                    nextIterator = "it-\(state.issued)"
                    state.iterators[nextIterator!] = (shard, end)
                }
                return .success(.init(records: page, nextIterator: nextIterator, millisBehindLatest: end >= all.count ? 0 : 1000))
            }
            return try result.get()
        }
    }

    static func drain(_ stream: MemoryStream, from position: KinesisStreamReader.Position) async throws -> [StreamRecord] {
        var follower = try await ShardFollower(reader: stream, stream: "s", position: position, follow: false)
        var records: [StreamRecord] = []
        while let batch = try await follower.next() { records += batch }
        return records
    }

    @Test func childrenAreReadOnlyAfterTheirParentsSoEachKeyStaysInOrder() async throws {
        let stream = MemoryStream()
        stream.add(shard: "parent", closed: true, records: (0..<5).map { ("k", "\($0)") })
        stream.add(shard: "child-a", parents: ["parent"], records: (5..<8).map { ("k", "\($0)") })
        stream.add(shard: "child-b", parents: ["parent"], records: [("other", "x")])
        stream.add(shard: "merged", parents: ["child-a", "gone"], records: [])
        let records = try await Self.drain(stream, from: .trimHorizon)
        let ordered = records.filter { $0.partitionKey == "k" }.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(ordered == (0..<8).map(String.init))
        let firstChild = records.firstIndex { $0.shardID != "parent" }!
        #expect(records[..<firstChild].count == 5, "every parent record comes before any child's")
        #expect(records.count == 9)
    }

    @Test func latestReadsOnlyWhatArrivesInOpenShards() async throws {
        let stream = MemoryStream()
        stream.add(shard: "closed", closed: true, records: [("k", "old")])
        stream.add(shard: "open", parents: ["closed"], records: [("k", "old too")])
        var follower = try await ShardFollower(reader: stream, stream: "s", position: .latest, follow: false)
        #expect(stream.state.withLock { $0.calls } == ["GetShardIterator open latest"])
        stream.append(shard: "open", key: "k", data: "new")
        let batch = try await follower.next()
        #expect(batch?.map { String(decoding: $0.data, as: UTF8.self) } == ["new"])
        #expect(try await follower.next() == nil)
    }

    @Test func anExpiredIteratorResumesAfterTheLastRecordRead() async throws {
        let stream = MemoryStream()
        stream.add(shard: "s0", records: (0..<4).map { ("k", "\($0)") })
        var follower = try await ShardFollower(reader: stream, stream: "s", position: .trimHorizon, follow: false)
        let first = try await follower.next() ?? []
        #expect(first.count == 2)
        stream.state.withLock { $0.expireNext = true }
        var rest: [StreamRecord] = []
        while let batch = try await follower.next() { rest += batch }
        #expect(rest.map { String(decoding: $0.data, as: UTF8.self) } == ["2", "3"])
        #expect(stream.state.withLock { $0.calls }.last == "GetShardIterator s0 afterSequenceNumber(\"2\")")
    }
}
