import RunnelCore

/// out_forward's `LoadBalancer`: a shuffled array where each regular server appears in
/// proportion to its weight, walked round robin; standby servers join (first in order, until
/// the weight lost is made up) only while regular servers are unavailable. Weight 0 servers
/// are never chosen. Pure: availability comes in, server indices go out.
public struct ForwardLoadBalancer: Sendable {
    public struct Member: Sendable, Equatable {
        public var weight: Int
        public var standby: Bool

        public init(weight: Int, standby: Bool) {
            self.weight = weight
            self.standby = standby
        }
    }

    public let members: [Member]
    /// The weighted, shuffled rotation for the current availability (indices into `members`).
    public private(set) var rotation: [Int] = []
    private var availability: [Bool]
    private var position = 0
    private var random: SplitMix64

    /// `seed` fixes the shuffle, as Fluentd keeps one seed for the plugin's life.
    public init(members: [Member], seed: UInt64) {
        self.members = members
        availability = Array(repeating: true, count: members.count)
        random = SplitMix64(seed: seed)
        rebuild()
    }

    /// The servers to try for the next chunk, in order: each available server of the rotation
    /// once, starting after the previous chunk's start (round robin). Empty when none is up.
    public mutating func candidates(available: [Bool]) -> [Int] {
        precondition(available.count == members.count)
        if available != availability {
            availability = available
            rebuild()
        }
        guard !rotation.isEmpty else { return [] }
        position = (position + 1) % rotation.count
        var seen = Set<Int>()
        var order: [Int] = []
        for step in 0..<rotation.count {
            let index = rotation[(position + step) % rotation.count]
            if availability[index], seen.insert(index).inserted { order.append(index) }
        }
        return order
    }

    private mutating func rebuild() {
        let weighted = members.indices.filter { members[$0].weight > 0 }
        var regular = weighted.filter { !members[$0].standby }
        var lost = regular.filter { !availability[$0] }.reduce(0) { $0 + members[$1].weight }
        if lost > 0 {
            for index in weighted where members[index].standby && availability[index] {
                regular.append(index)
                lost -= members[index].weight
                if lost <= 0 { break }
            }
        }
        guard !regular.isEmpty else {
            rotation = []
            return
        }
        let divisor = regular.reduce(0) { Self.gcd($0, members[$1].weight) }
        var array: [Int] = []
        for index in regular { array += repeatElement(index, count: members[index].weight / divisor) }
        // Fluentd repeats a short array so a crashed server does not take every chunk's first try.
        let repeats = regular.count * 6 / array.count
        if repeats > 1 { array = Array([[Int]](repeating: array, count: repeats).joined()) }
        array.shuffle(using: &random)
        rotation = array
        position = 0
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
