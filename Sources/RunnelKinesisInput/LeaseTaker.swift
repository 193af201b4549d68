/// Which leases an instance takes after each scan of the lease table, as the KCL's lease taker
/// decides (a plain state machine; the clock is the `now` given, in seconds):
///
/// - A lease is expired when its counter has not moved for `failover` seconds of this
///   instance's observation (its owner stopped renewing), or when it has no owner.
/// - The target is an even share: the unfinished leases that may be read, divided by the
///   instances that hold an unexpired lease (this one included), rounded up.
/// - Below the target, expired leases are taken up to it; when none is expired, one lease is
///   stolen from the instance holding the most, if that is more than the target.
/// - A child shard's lease may be taken only once its parents' leases are at `SHARD_END` (or gone),
///   so each partition key's records are read in order.
public struct LeaseTaker: Sendable {
    public let owner: String
    public let failover: Double
    /// Each lease's last counter seen and when it was first seen at that value.
    var observed: [String: (counter: Int64, since: Double)] = [:]

    public init(owner: String, failover: Double) {
        self.owner = owner
        self.failover = failover
    }

    public mutating func leasesToTake(_ leases: [Lease], now: Double) -> [Lease] {
        for lease in leases where observed[lease.key]?.counter != lease.counter {
            observed[lease.key] = (lease.counter, now)
        }
        let keys = Set(leases.map(\.key))
        observed = observed.filter { keys.contains($0.key) }
        let finished = Set(leases.filter(\.isFinished).map(\.key))
        func isExpired(_ lease: Lease) -> Bool {
            guard let owner = lease.owner else { return true }
            return owner != self.owner && now - (observed[lease.key]?.since ?? now) >= failover
        }
        let readable = leases.filter { lease in
            !lease.isFinished && lease.parents.allSatisfy { finished.contains($0) || !keys.contains($0) }
        }
        var owners: [String: Int] = [owner: 0]
        for lease in readable where !isExpired(lease) {
            if let owner = lease.owner { owners[owner, default: 0] += 1 }
        }
        let target = (readable.count + owners.count - 1) / owners.count
        let mine = owners[owner] ?? 0
        guard mine < target else { return [] }
        let expired = readable.filter(isExpired)
        if !expired.isEmpty { return Array(expired.prefix(target - mine)) }
        // Steal one from the most loaded instance above the target.
        guard let (busiest, held) = owners.filter({ $0.key != owner }).max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
            held > target
        else { return [] }
        return readable.first { $0.owner == busiest }.map { [$0] } ?? []
    }
}
