import Foundation
import NIOCore
import RunnelCore
import RunnelTestSupport
import Testing
@testable import RunnelForward

/// Random mutations of valid messages of every mode, fed in random pieces: the decoder must
/// return frames or throw `ForwardError`, never crash, hang or allocate past its limit.
/// Runs for about two seconds; set RUNNEL_FORWARD_FUZZ_ITERATIONS (e.g. 1000000) for a long run.
@Suite struct ForwardDecoderFuzzTests {
    @Test func randomMutationsNeverCrash() throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["RUNNEL_FORWARD_FUZZ_ITERATIONS"].flatMap(Int.init)
        let seed = environment["RUNNEL_FORWARD_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_F0F0
        let deadline = Date().addingTimeInterval(iterations == nil ? 2 : .infinity)
        var random = SplitMix64(seed: seed)
        var corpus: [[UInt8]] = []
        for mode in [ForwardMessage.Mode.message, .forward, .packedForward, .compressedPackedForward] {
            for count in [1, 3, 8] {
                corpus.append(try ForwardFixtures.pair(ForwardFixtures.stream(count: count, seed: count), mode: mode, chunk: "c").0)
            }
        }
        var done = 0
        var decoded = 0
        var rejected = 0
        while done < (iterations ?? Int.max), Date() < deadline {
            var bytes = corpus.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                case 2 where bytes.count > 1: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
                case 3: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                default: bytes += corpus.randomElement(using: &random)!
                }
                if bytes.isEmpty { bytes = [0x90] }
            }
            let splits = (0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
            do {
                decoded += try decodeAll(bytes, options: ForwardFixtures.options(limit: 64 * 1024, skipInvalid: Bool.random(using: &random)), splitAt: splits)
                    .count
            } catch is ForwardError {
                rejected += 1
            }
            done += 1
        }
        #expect(done > 0)
        #expect(decoded + rejected > 0)
    }
}
