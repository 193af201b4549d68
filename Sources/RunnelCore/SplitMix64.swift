/// SplitMix64 (Steele, Lea and Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014;
/// the constants of Vigna's reference `splitmix64.c`): a tiny seeded generator whose output for a
/// seed never changes, so a random test or fuzz round can be replayed from its seed, and a good
/// seeder for larger generators (xoshiro's authors recommend it for that).
///
/// Not for secrets: the state is the seed plus a counter.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; `next()` adds the golden-ratio increment to it.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
