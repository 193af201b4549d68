import Foundation
import RunnelCore

/// Reads a stream's shards round by round (one GetRecords per shard each round, at most five
/// rounds a second: Kinesis' per-shard call limit), KPL aggregates split into their user records.
///
/// After a reshard a child shard is read only once its parents have been read to their end, so
/// each partition key's records come in order. At the start `position` applies to every shard;
/// shards found later (children) are read from their first record. From `latest`, only the
/// shards open at the start are read at first: closed ones have nothing new.
///
/// Without `follow`, `next()` ends (nil) once every shard read has nothing more; with it, it
/// waits a second after a round that found nothing and goes on until cancelled.
public struct ShardFollower<Reader: ShardReading>: Sendable {
    struct Cursor: Sendable {
        var shard: KinesisStreamReader.Shard
        var iterator: String
        var lastSequenceNumber: String?
        var start: KinesisStreamReader.Position
        var caughtUp = false
    }

    let reader: Reader
    let stream: String
    let follow: Bool
    var cursors: [Cursor] = []
    var started: Set<String> = []
    /// Shards read to their end (closed and exhausted), and those given as done at the start.
    public private(set) var finished: Set<String> = []
    /// Checkpoints: a shard listed here is read after this sequence number, whatever `position` says.
    let resume: [String: String]
    var lastRound: ContinuousClock.Instant?
    /// With leases: the shards assigned (`assign`); nil reads every shard.
    var assigned: Set<String>?

    /// `resume` and `finished` come from checkpoints: where each shard was left, and the shards
    /// already read to their end. With `leased`, no shard is read until `assign` names some.
    public init(
        reader: Reader, stream: String, position: KinesisStreamReader.Position, follow: Bool, resume: [String: String] = [:],
        finished: Set<String> = [], leased: Bool = false
    ) async throws(KinesisError) {
        self.reader = reader
        self.stream = stream
        self.follow = follow
        self.resume = resume
        self.finished = finished
        if leased {
            // The shards come from `assign`, as leases are taken.
            assigned = []
            return
        }
        let shards = try await reader.listShards(stream: stream)
        if position == .latest {
            // What is closed has no new records; its children are open and read from now on.
            for shard in shards where !shard.isOpen && resume[shard.id] == nil { self.finished.insert(shard.id) }
        }
        try await startReadyShards(shards, position: position)
    }

    /// Starts each shard not started yet whose parents are finished or gone (past retention).
    mutating func startReadyShards(_ shards: [KinesisStreamReader.Shard], position: KinesisStreamReader.Position) async throws(KinesisError) {
        let listed = Set(shards.map(\.id))
        for shard in shards where !started.contains(shard.id) && !finished.contains(shard.id) {
            let parents = [shard.parentID, shard.adjacentParentID].compactMap { $0 }.filter { listed.contains($0) }
            guard parents.allSatisfy(finished.contains) else { continue }
            let start = resume[shard.id].map(KinesisStreamReader.Position.afterSequenceNumber) ?? position
            let iterator = try await reader.shardIterator(stream: stream, shard: shard.id, from: start)
            cursors.append(Cursor(shard: shard, iterator: iterator, lastSequenceNumber: resume[shard.id], start: start))
            started.insert(shard.id)
        }
    }

    /// The records of the next round that found any; nil when done (without `follow`).
    public mutating func next() async throws(KinesisError) -> [StreamRecord]? {
        while true {
            if Task.isCancelled { return nil }
            let (records, ended) = try await round()
            if !records.isEmpty { return records }
            if follow {
                if !ended { try? await Task.sleep(for: .seconds(1)) }
            } else if cursors.allSatisfy(\.caughtUp) {
                return nil
            }
        }
    }

    /// Leased reading: from now on only these shards are read, each new one from its position
    /// (a lease's checkpoint); the others are dropped. Children are no longer started by the
    /// follower: the leases decide.
    public mutating func assign(_ positions: [String: KinesisStreamReader.Position]) async throws(KinesisError) {
        let keys = Set(positions.keys)
        cursors.removeAll { !keys.contains($0.shard.id) }
        assigned = keys
        let new = keys.subtracting(cursors.map(\.shard.id))
        guard !new.isEmpty else { return }
        for shard in try await reader.listShards(stream: stream) where new.contains(shard.id) {
            let start = positions[shard.id]!
            var last: String?
            if case .afterSequenceNumber(let sequence) = start { last = sequence }
            let iterator = try await reader.shardIterator(stream: stream, shard: shard.id, from: start)
            cursors.append(Cursor(shard: shard, iterator: iterator, lastSequenceNumber: last, start: start))
            finished.remove(shard.id)
        }
    }

    /// The shards being read now.
    public var reading: Set<String> { Set(cursors.map(\.shard.id)) }

    /// One GetRecords per shard (no sooner than 200 ms after the last round); `ended` when a shard
    /// was read to its end in it.
    public mutating func round() async throws(KinesisError) -> (records: [StreamRecord], ended: Bool) {
        if let lastRound {
            let wait = Duration.milliseconds(200) - (ContinuousClock.now - lastRound)
            if wait > .zero { try? await Task.sleep(for: wait) }
        }
        lastRound = .now
        var records: [StreamRecord] = []
        var ended = false
        var index = 0
        while index < cursors.count {
            let page: KinesisStreamReader.RecordsPage
            do {
                page = try await reader.records(stream: stream, iterator: cursors[index].iterator, limit: 10_000)
            } catch let error where error.code == "ExpiredIteratorException" {
                let resume = cursors[index].lastSequenceNumber.map(KinesisStreamReader.Position.afterSequenceNumber) ?? cursors[index].start
                cursors[index].iterator = try await reader.shardIterator(stream: stream, shard: cursors[index].shard.id, from: resume)
                continue
            } catch let error where error.code == "ProvisionedThroughputExceededException" {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            for record in page.records {
                for user in KPLDeaggregator.records(in: record.data, partitionKey: record.partitionKey) {
                    records.append(
                        StreamRecord(
                            shardID: cursors[index].shard.id, partitionKey: user.partitionKey, sequenceNumber: record.sequenceNumber,
                            subSequenceNumber: user.subSequenceNumber, explicitHashKey: user.explicitHashKey, arrival: record.arrival,
                            data: user.data))
                }
            }
            if let last = page.records.last { cursors[index].lastSequenceNumber = last.sequenceNumber }
            cursors[index].caughtUp = page.records.isEmpty && (page.millisBehindLatest ?? 0) == 0
            guard let nextIterator = page.nextIterator else {
                // A closed shard read to its end: its children may start.
                finished.insert(cursors[index].shard.id)
                cursors.remove(at: index)
                ended = true
                continue
            }
            cursors[index].iterator = nextIterator
            index += 1
        }
        if ended, assigned == nil { try await startReadyShards(try await reader.listShards(stream: stream), position: .trimHorizon) }
        return (records, ended)
    }
}

/// A user record as `ShardFollower` reads it: one KPL aggregate gives several.
public struct StreamRecord: Sendable {
    public var shardID: String
    public var partitionKey: String
    public var sequenceNumber: String
    /// The user record's index in its KPL aggregate; nil for a plain record.
    public var subSequenceNumber: Int?
    public var explicitHashKey: String?
    public var arrival: Date?
    public var data: [UInt8]
}

/// What `ShardFollower` needs of Kinesis: `KinesisStreamReader` in Runnel, an in-memory stream
/// in tests of what moto does not model (a closed shard's iterator ending after a reshard).
public protocol ShardReading: Sendable {
    func listShards(stream: String) async throws(KinesisError) -> [KinesisStreamReader.Shard]
    func shardIterator(stream: String, shard: String, from position: KinesisStreamReader.Position) async throws(KinesisError) -> String
    func records(stream: String, iterator: String, limit: Int) async throws(KinesisError) -> KinesisStreamReader.RecordsPage
}

extension KinesisStreamReader: ShardReading {}
