import Testing

@testable import RunnelForwardOutput

/// out_forward's weighted rotation and standby failover.
@Suite struct ForwardLoadBalancerTests {
    typealias Member = ForwardLoadBalancer.Member

    /// How often each server is the first choice over `rounds` chunks.
    static func firstChoices(_ balancer: inout ForwardLoadBalancer, available: [Bool], rounds: Int) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for _ in 0..<rounds {
            if let first = balancer.candidates(available: available).first { counts[first, default: 0] += 1 }
        }
        return counts
    }

    @Test(arguments: [UInt64(1), 7, 42])
    func choicesFollowTheWeights(seed: UInt64) {
        var balancer = ForwardLoadBalancer(members: [Member(weight: 60, standby: false), Member(weight: 20, standby: false)], seed: seed)
        // gcd 20: [0, 0, 0, 1], repeated to 12 (2 servers * 6 / 4 = 3 times), walked round robin.
        #expect(balancer.rotation.count == 12)
        let counts = Self.firstChoices(&balancer, available: [true, true], rounds: 1200)
        #expect(counts == [0: 900, 1: 300])
    }

    @Test func everyAvailableServerIsACandidateOnce() {
        var balancer = ForwardLoadBalancer(members: Array(repeating: Member(weight: 60, standby: false), count: 3), seed: 3)
        let order = balancer.candidates(available: [true, false, true])
        #expect(order.sorted() == [0, 2])
    }

    @Test func standbyOnlyWhenARegularServerIsDown() {
        var balancer = ForwardLoadBalancer(members: [Member(weight: 60, standby: false), Member(weight: 60, standby: true)], seed: 9)
        #expect(Self.firstChoices(&balancer, available: [true, true], rounds: 100) == [0: 100])
        #expect(Self.firstChoices(&balancer, available: [false, true], rounds: 100) == [1: 100])
        #expect(Self.firstChoices(&balancer, available: [true, true], rounds: 100) == [0: 100])
    }

    /// Standby servers join in order until the lost weight is made up.
    @Test func standbysMakeUpTheLostWeight() {
        let members = [
            Member(weight: 60, standby: false), Member(weight: 60, standby: false),
            Member(weight: 60, standby: true), Member(weight: 60, standby: true),
        ]
        var balancer = ForwardLoadBalancer(members: members, seed: 5)
        #expect(Set(balancer.candidates(available: [false, true, true, true])) == [1, 2])
        #expect(Set(balancer.candidates(available: [false, false, true, true])) == [2, 3])
    }

    @Test func nothingAvailableIsNoCandidate() {
        var balancer = ForwardLoadBalancer(members: [Member(weight: 60, standby: false), Member(weight: 60, standby: true)], seed: 1)
        #expect(balancer.candidates(available: [false, false]).isEmpty)
    }

    @Test func weightZeroIsNeverChosen() {
        var balancer = ForwardLoadBalancer(members: [Member(weight: 0, standby: false), Member(weight: 10, standby: false)], seed: 1)
        #expect(Self.firstChoices(&balancer, available: [true, true], rounds: 50) == [1: 50])
    }
}
