import Testing

@testable import RunnelKinesisInput

/// The lease taker's decisions, scan by scan, with a clock in seconds.
@Suite struct LeaseTakerTests {
    static func lease(_ key: String, _ owner: String?, counter: Int64 = 1, checkpoint: String = "TRIM_HORIZON", parents: [String] = []) -> Lease {
        Lease(key: key, owner: owner, counter: counter, checkpoint: checkpoint, parents: parents)
    }

    @Test func aLoneInstanceTakesEveryUnownedLease() {
        var taker = LeaseTaker(owner: "a", failover: 10)
        let leases = (0..<4).map { Self.lease("s\($0)", nil, counter: 0) }
        #expect(taker.leasesToTake(leases, now: 0).map(\.key) == ["s0", "s1", "s2", "s3"])
    }

    @Test func aNewInstanceStealsOneLeasePerScanUpToAnEvenShare() {
        var taker = LeaseTaker(owner: "b", failover: 10)
        var leases = (0..<4).map { Self.lease("s\($0)", "a") }
        // A's leases are renewed (their counters move), so none expires: B steals one, then another.
        #expect(taker.leasesToTake(leases, now: 0).count == 1)
        leases[0].owner = "b"
        for index in 1..<4 { leases[index].counter += 1 }
        #expect(taker.leasesToTake(leases, now: 3).count == 1, "a holds 3 of 4: above the target of 2")
        leases[1].owner = "b"
        for index in 2..<4 { leases[index].counter += 1 }
        #expect(taker.leasesToTake(leases, now: 6).isEmpty, "2 and 2: even")
    }

    @Test func leasesWhoseCounterStopsMovingAreTakenAfterTheFailoverTime() {
        var taker = LeaseTaker(owner: "b", failover: 10)
        let leases = [Self.lease("s0", "a", counter: 5), Self.lease("s1", "a", counter: 7), Self.lease("s2", "b", counter: 1)]
        // First seen now: not expired yet (one steal at most: a holds 2, the target is 2).
        #expect(taker.leasesToTake(leases, now: 100).isEmpty)
        #expect(taker.leasesToTake(leases, now: 105).isEmpty)
        // A stopped renewing: both its leases expire and b's share becomes all three.
        #expect(taker.leasesToTake(leases, now: 110.5).map(\.key) == ["s0", "s1"])
    }

    @Test func childrenWaitForTheirParentsToReachShardEnd() {
        var taker = LeaseTaker(owner: "a", failover: 10)
        var leases = [
            Self.lease("parent", "a", counter: 3), Self.lease("child-1", nil, counter: 0, parents: ["parent"]),
            Self.lease("child-2", nil, counter: 0, parents: ["parent", "gone"]),
        ]
        #expect(taker.leasesToTake(leases, now: 0).isEmpty, "the parent is still being read")
        leases[0].checkpoint = Lease.shardEnd
        #expect(taker.leasesToTake(leases, now: 1).map(\.key) == ["child-1", "child-2"], "a parent not in the table counts as done")
    }
}
