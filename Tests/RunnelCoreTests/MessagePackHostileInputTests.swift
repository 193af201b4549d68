import RunnelTestSupport
import Testing
@testable import RunnelCore

/// Truncated, oversized and malformed input must cost an error, never a crash or a large allocation.
struct MessagePackHostileInputTests {
    /// Fixtures small enough to try every prefix of (the large ones are sampled below).
    static let smallFixtures = pythonMessagePackFixtures.filter { $0.bytes.count <= 2048 }
    static let largeFixtures = pythonMessagePackFixtures.filter { $0.bytes.count > 2048 }

    @Test(arguments: smallFixtures)
    func everyPrefixIsTruncated(_ fixture: MessagePackFixture) {
        for length in 0..<fixture.bytes.count {
            expectTruncated(Array(fixture.bytes.prefix(length)), fixture.name, length)
        }
    }

    @Test(arguments: largeFixtures)
    func sampledPrefixesOfLargeValuesAreTruncated(_ fixture: MessagePackFixture) {
        let count = fixture.bytes.count
        let lengths = Array(0..<min(64, count)) + [count / 2] + Array(max(0, count - 64)..<count)
        for length in Set(lengths) {
            expectTruncated(Array(fixture.bytes.prefix(length)), fixture.name, length)
        }
    }

    func expectTruncated(_ bytes: [UInt8], _ name: String, _ length: Int) {
        MessagePackReader.withReader(bytes) { reader in
            do {
                _ = try reader.readValue()
                Issue.record("\(name): readValue accepted a \(length)-byte prefix")
            } catch let error as MessagePackError {
                #expect(error.needsMoreInput, "\(name) prefix \(length): \(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
        _ = MessagePackReader.withReader(bytes) { reader in
            #expect(throws: MessagePackError.self, "\(name) prefix \(length)") { try reader.skipValue() }
        }
        MessagePackReader.withReader(bytes) { reader in
            var out: [UInt8] = []
            #expect(throws: MessagePackError.self, "\(name) prefix \(length)") {
                try JSONWriter.appendValue(from: &reader, to: &out)
            }
        }
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        var hex: String
        var testDescription: String { name }
    }

    static let hostile: [Hostile] = [
        Hostile(name: "array32 of 2^32-1 elements in 5 bytes", hex: "ddffffffff"),
        Hostile(name: "array32 of 2^32-1 nils, only 3 present", hex: "ddffffffffc0c0c0"),
        Hostile(name: "map32 of 2^32-1 pairs in 5 bytes", hex: "dfffffffff"),
        Hostile(name: "map16 of 65535 pairs, one present", hex: "deffffc0c0"),
        Hostile(name: "array16 inside array32", hex: "ddffffffffdcffff"),
        Hostile(name: "str32 of 4 GiB", hex: "dbffffffff61"),
        Hostile(name: "str16 longer than input", hex: "da0010616263"),
        Hostile(name: "bin32 of 4 GiB", hex: "c6ffffffff00"),
        Hostile(name: "ext32 of 4 GiB", hex: "c9ffffffff0000"),
        Hostile(name: "ext16 longer than input", hex: "c8010000"),
        Hostile(name: "uint64 cut short", hex: "cf0000"),
        Hostile(name: "float64 cut short", hex: "cb3ff0"),
    ]

    @Test(arguments: hostile)
    func oversizedLengthsAreTruncationNotAllocation(_ c: Hostile) {
        let bytes = hexBytes(c.hex)
        #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: bytes) }
        _ = MessagePackReader.withReader(bytes) { reader in
            #expect(throws: MessagePackError.self) { try reader.skipValue() }
        }
        #expect(throws: MessagePackError.self) { try EventStream.validateEntries([0x92, 0x00] + bytes) }
        var out: [UInt8] = []
        _ = MessagePackReader.withReader(bytes) { reader in
            #expect(throws: MessagePackError.self) { try JSONWriter.appendValue(from: &reader, to: &out) }
        }
        #expect(out.count < 64, "JSON output must not grow with a length the input does not have")
    }

    @Test func invalidByteC1IsRejectedEverywhere() {
        for bytes: [UInt8] in [[0xc1], [0x91, 0xc1], [0x81, 0xc1, 0x00], [0x81, 0xa1, 0x61, 0xc1]] {
            #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: bytes) }
            _ = MessagePackReader.withReader(bytes) { reader in
                #expect(throws: MessagePackError.self) { try reader.skipValue() }
            }
            var out: [UInt8] = []
            _ = MessagePackReader.withReader(bytes) { reader in
                #expect(throws: MessagePackError.self) { try JSONWriter.appendValue(from: &reader, to: &out) }
            }
        }
        MessagePackReader.withReader([0xc1]) { reader in
            #expect(throws: MessagePackError.invalidByte(0xc1, offset: 0)) { try reader.peekType() }
            #expect(throws: MessagePackError.invalidByte(0xc1, offset: 0)) { try reader.readValue() }
            #expect(throws: MessagePackError.invalidByte(0xc1, offset: 0)) { try reader.skipValue() }
        }
    }

    static func nested(_ depth: Int, open: UInt8) -> [UInt8] {
        // `depth` containers, each holding the next; the innermost holds a nil.
        var bytes = [UInt8](repeating: open, count: depth)
        if open == 0x81 {
            bytes = []
            for _ in 0..<depth { bytes += [0x81, 0xc0] }
        }
        return bytes + [0xc0]
    }

    @Test(arguments: [UInt8(0x91), 0x81])
    func nestingIsLimitedByMaxDepth(_ open: UInt8) throws {
        let limit = MessagePackReader(bytes: UnsafeRawBufferPointer(start: nil, count: 0)).maxDepth
        let atLimit = Self.nested(limit, open: open)
        let beyond = Self.nested(limit + 1, open: open)
        _ = try MessagePackValue(decoding: atLimit)
        try MessagePackReader.withReader(atLimit) { try $0.skipValue() }
        var out: [UInt8] = []
        try MessagePackReader.withReader(atLimit) { try JSONWriter.appendValue(from: &$0, to: &out) }

        for bytes in [beyond, Self.nested(100_000, open: open)] {
            #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: bytes) }
            _ = MessagePackReader.withReader(bytes) { reader in
                #expect(throws: MessagePackError.self) { try reader.skipValue() }
            }
            _ = MessagePackReader.withReader(bytes) { reader in
                #expect(throws: MessagePackError.self) { try JSONWriter.appendValue(from: &reader, to: &out) }
            }
        }
    }

    @Test func aSmallerMaxDepthIsHonoured() {
        let bytes = Self.nested(3, open: 0x91)
        MessagePackReader.withReader(bytes) { reader in
            reader.maxDepth = 2
            #expect(throws: MessagePackError.nestingTooDeep(limit: 2, offset: 3)) { try reader.readValue() }
        }
        MessagePackReader.withReader(bytes) { reader in
            reader.maxDepth = 2
            #expect(throws: MessagePackError.self) { try reader.skipValue() }
        }
    }

    @Test func deepNestingInsideMapKeysIsLimitedToo() {
        // {{{...: nil}: nil}: nil} — every level a map used as a key.
        var bytes: [UInt8] = []
        for _ in 0..<10_000 { bytes.append(0x81) }
        bytes.append(0xc0)
        for _ in 0..<10_000 { bytes.append(0xc0) }
        #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: bytes) }
        var out: [UInt8] = []
        _ = MessagePackReader.withReader(bytes) { reader in
            #expect(throws: MessagePackError.self) { try JSONWriter.appendValue(from: &reader, to: &out) }
        }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82],
        [0x80],
    ]

    @Test(arguments: invalidUTF8)
    func readStringRejectsInvalidUTF8(_ payload: [UInt8]) {
        var writer = MessagePackWriter()
        writer.writeString(utf8: payload)
        _ = MessagePackReader.withReader(writer.bytes) { reader in
            #expect(throws: MessagePackError.invalidUTF8(offset: 0)) { try reader.readString() }
        }
        #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: writer.bytes) }
    }

    @Test func trailingBytesAfterAWholeValueAreRejected() {
        #expect(throws: MessagePackError.self) { try MessagePackValue(decoding: [0xc0, 0xc0]) }
    }

    /// Random and mutated input: anything may be thrown, nothing may trap.
    @Test func randomAndMutatedInputNeverCrashes() {
        var rng = SplitMix64(seed: 0x5eed)
        let seeds = Self.smallFixtures.map(\.bytes).filter { !$0.isEmpty }
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                bytes = (0..<Int(rng.next() % 24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            _ = try? MessagePackValue(decoding: bytes)
            _ = try? EventStream.validateEntries(bytes)
            MessagePackReader.withReader(bytes) { reader in _ = try? reader.skipValue() }
            var out: [UInt8] = []
            MessagePackReader.withReader(bytes) { reader in _ = try? JSONWriter.appendValue(from: &reader, to: &out) }
            MessagePackReader.withReader(bytes) { reader in _ = try? reader.readEventTime() }
            MessagePackReader.withReader(bytes) { reader in _ = try? reader.readString() }
        }
    }
}
