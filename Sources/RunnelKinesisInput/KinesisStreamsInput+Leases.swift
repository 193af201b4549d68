import Foundation
import Logging
import RunnelKinesis
import RunnelParsers

extension KinesisStreamsInput {
    /// `<storage> @type dynamodb`: shards are read under leases in a KCL 2.x lease table, shared
    /// with every other instance (Runnel or KCL application) that reads the stream with that table.
    /// Every `failover_time / 3` the held leases are renewed, the table scanned and leases taken
    /// (`LeaseTaker`); after each emit the shard's checkpoint is written to its lease, which
    /// fails, and the shard is dropped, when another instance took the lease meanwhile. On the
    /// way out (shutdown, or an error that restarts the cycle) the leases still held are released.
    func readLeased(_ table: LeaseTable, _ settings: KinesisStreamsInputConfiguration.LeaseSettings) async throws {
        let owner = settings.workerID
        try await retrying { pause in
            try await table.ensureExists()
            var held: [String: Lease] = [:]
            do {
                try await readLeased(table, settings, held: &held, pause: &pause)
            } catch {
                await release(Array(held.keys), table: table, owner: owner)
                throw error
            }
            await release(Array(held.keys), table: table, owner: owner)
        }
    }

    private func readLeased(
        _ table: LeaseTable, _ settings: KinesisStreamsInputConfiguration.LeaseSettings, held: inout [String: Lease], pause: inout Duration
    ) async throws {
        let owner = settings.workerID
        var follower = try await ShardFollower(
            reader: reader, stream: configuration.streamName, position: configuration.initPosition, follow: true, leased: true)
        var taker = LeaseTaker(owner: owner, failover: settings.failover)
        var parsers: [String: any LineParser] = [:]
        var nextCycle = ContinuousClock.now
        var nextSync = ContinuousClock.now
        logger.info(
            "reading Kinesis stream under leases",
            metadata: ["kinesis.stream": "\(configuration.streamName)", "lease.table": "\(table.table)", "lease.owner": "\(owner)"])
        while !Task.isCancelled {
            if ContinuousClock.now >= nextCycle {
                nextCycle = ContinuousClock.now + .milliseconds(Int64(settings.failover * 1000 / 3))
                var leases = try await table.leases()
                if ContinuousClock.now >= nextSync {
                    nextSync = ContinuousClock.now + .seconds(60)
                    if try await createMissingLeases(table, existing: leases) { leases = try await table.leases() }
                }
                try await renewAndTake(table, leases: leases, taker: &taker, held: &held, owner: owner)
                try await follower.assign(held.mapValues { position(of: $0) })
            }
            let (records, ended) = try await follower.round()
            if !records.isEmpty {
                try await emit(records, parsers: &parsers)
                var last: [String: StreamRecord] = [:]
                for record in records { last[record.shardID] = record }
                for (shard, record) in last {
                    let sub = Int64(record.subSequenceNumber ?? 0)
                    if try await table.checkpoint(shard, owner: owner, sequenceNumber: record.sequenceNumber, subSequenceNumber: sub) == nil {
                        lost(shard, &held)
                        try await follower.assign(held.mapValues { position(of: $0) })
                    } else {
                        held[shard]?.checkpoint = record.sequenceNumber
                    }
                }
            }
            if ended {
                for shard in follower.finished where held[shard] != nil {
                    _ = try await table.checkpoint(shard, owner: owner, sequenceNumber: Lease.shardEnd)
                    held[shard] = nil
                    nextCycle = .now  // its children may be taken now
                }
            }
            if records.isEmpty && !ended {
                let untilCycle = nextCycle - ContinuousClock.now
                try? await Task.sleep(for: min(.seconds(1), max(.milliseconds(50), untilCycle)))
            }
            pause = .seconds(1)
        }
    }

    /// Releases `shards`' leases (`LeaseTable.release`), each checkpoint already written after its
    /// last emit. It runs in a task of its own, since the input's task is cancelled by then, and
    /// gives up after 5 s: a lease not released expires after `failover_time` all the same.
    func release(_ shards: [String], table: LeaseTable, owner: String) async {
        guard !shards.isEmpty else { return }
        let logger = logger
        let releasing = Task {
            var released = 0
            for shard in shards {
                do {
                    if try await table.release(shard, owner: owner) != nil { released += 1 }
                } catch {
                    logger.warning(
                        "cannot release a lease; another instance takes it after failover_time",
                        metadata: ["kinesis.shard": "\(shard)", "error": "\(error)"])
                }
            }
            return released
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(5))
            releasing.cancel()
        }
        let released = await releasing.value
        deadline.cancel()
        logger.info("leases released", metadata: ["lease.released": "\(released)", "lease.held": "\(shards.count)"])
    }

    func lost(_ shard: String, _ held: inout [String: Lease]) {
        held[shard] = nil
        logger.info("lease lost to another instance", metadata: ["kinesis.shard": "\(shard)"])
    }

    /// Adds a lease for each shard that has none in `existing` (the table as scanned): from
    /// `init_position`, or from the first record for a child of a shard in the table. True when
    /// it added any.
    func createMissingLeases(_ table: LeaseTable, existing leases: [Lease]) async throws -> Bool {
        let shards = try await reader.listShards(stream: configuration.streamName)
        let existing = Set(leases.map(\.key))
        let listed = Set(shards.map(\.id))
        var created = false
        for shard in shards where !existing.contains(shard.id) {
            let parents = [shard.parentID, shard.adjacentParentID].compactMap { $0 }.filter { listed.contains($0) || existing.contains($0) }
            let checkpoint = parents.isEmpty ? Self.checkpointName(configuration.initPosition) : "TRIM_HORIZON"
            created = try await table.create(Lease(key: shard.id, owner: nil, counter: 0, checkpoint: checkpoint, parents: parents)) || created
        }
        return created
    }

    /// Renews the held leases, then takes what the taker decides from `leases` (the table as scanned).
    func renewAndTake(_ table: LeaseTable, leases: [Lease], taker: inout LeaseTaker, held: inout [String: Lease], owner: String) async throws {
        for (shard, lease) in held {
            if let renewed = try await table.renew(lease, owner: owner) {
                held[shard] = renewed
            } else {
                lost(shard, &held)
            }
        }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        for lease in taker.leasesToTake(leases, now: now) {
            guard let taken = try await table.take(lease, owner: owner) else { continue }
            held[lease.key] = taken
            logger.info(
                "lease taken",
                metadata: ["kinesis.shard": "\(lease.key)", "lease.previous_owner": "\(lease.owner ?? "none")", "lease.checkpoint": "\(taken.checkpoint)"])
        }
    }

    /// Where a lease's checkpoint says to read from.
    func position(of lease: Lease) -> KinesisStreamReader.Position {
        switch lease.checkpoint {
        case "TRIM_HORIZON": .trimHorizon
        case "LATEST": .latest
        case "AT_TIMESTAMP": configuration.initPosition
        default: .afterSequenceNumber(lease.checkpoint)
        }
    }

    /// A lease's checkpoint for a shard read from `position`: its iterator type, or the sequence number.
    static func checkpointName(_ position: KinesisStreamReader.Position) -> String {
        if case .afterSequenceNumber(let sequence) = position { return sequence }
        return position.iteratorType
    }
}
