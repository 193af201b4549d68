/// Which records and requests the sink fails, decided from a seed so that a run can be repeated:
/// the n-th record (or request) the sink sees draws `unit(n)`, the same for every run with the
/// same seed, whatever the forwarder sends.
struct SinkFaults: Sendable {
    /// Fraction of records answered with ProvisionedThroughputExceededException.
    var throttleFraction = 0.0
    /// Fraction of requests answered with HTTP 500 InternalFailure.
    var errorFraction = 0.0
    var seed: UInt64 = 1

    var isEmpty: Bool { throttleFraction <= 0 && errorFraction <= 0 }

    /// True when the request with this index fails as a whole.
    func failsRequest(_ index: UInt64) -> Bool {
        errorFraction > 0 && SinkFaults.unit(seed: seed &+ 0x5eed, index: index) < errorFraction
    }

    /// True when the record with this index is throttled.
    func throttlesRecord(_ index: UInt64) -> Bool {
        throttleFraction > 0 && SinkFaults.unit(seed: seed, index: index) < throttleFraction
    }

    /// A number in [0, 1) from SplitMix64's output function applied to `seed + index * golden`.
    static func unit(seed: UInt64, index: UInt64) -> Double {
        var z = seed &+ (index &+ 1) &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return Double(z >> 11) / Double(UInt64(1) << 53)
    }
}
