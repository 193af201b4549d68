import RunnelCore

/// Picks each record's partition key: the `partition_key` field (numbers and booleans as text),
/// else a random 32-hex-digit key as fluent-plugin-kinesis makes. A missing, empty or
/// over-256-character key also gets a random key, and is counted, instead of failing the
/// record or the whole PutRecords request (DESIGN.md).
public struct PartitionKeyExtractor: Sendable {
    public var accessor: RecordAccessor?
    var random: FastRandom

    /// Why a configured key could not be used.
    public enum Fallback: Sendable, Equatable {
        case missing, empty, tooLong, notScalar
    }

    /// Kinesis' limit on a partition key, in Unicode characters.
    public static let maximumCharacters = 256

    /// `fixed_partition_key`: one key for every record, over `accessor`.
    public var fixed: [UInt8]?

    public init(accessor: RecordAccessor?, fixed: String? = nil, seed: UInt64? = nil) {
        self.accessor = accessor
        self.fixed = fixed.map { Array($0.utf8) }
        self.random = FastRandom(seed: seed)
    }

    /// Appends the key for `record` to `out`; returns why a random key was used instead of the
    /// configured field, or nil (also nil when no field is configured).
    public mutating func append(record: MessagePackReader, to out: inout [UInt8]) throws -> Fallback? {
        if let fixed {
            out.append(contentsOf: fixed)
            return nil
        }
        guard let accessor else {
            appendRandom(to: &out)
            return nil
        }
        var reader = record
        let fallback: Fallback?
        if try !accessor.seek(&reader) {
            fallback = .missing
        } else {
            let start = out.count
            switch try reader.peekType() {
            case .string, .binary:
                let range = try reader.readStringOrBinaryRange()
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[range]))
            case .int, .uint, .float, .double, .bool:
                try JSONWriter.appendValue(from: &reader, to: &out)
            case .nil:
                break
            default:
                out.removeSubrange(start...)
                appendRandom(to: &out)
                return .notScalar
            }
            let key = out[start...]
            if key.isEmpty {
                fallback = .empty
            } else if key.count > PartitionKeyExtractor.maximumCharacters,
                String(decoding: key, as: UTF8.self).unicodeScalars.count > PartitionKeyExtractor.maximumCharacters
            {
                out.removeSubrange(start...)
                fallback = .tooLong
            } else {
                return nil
            }
        }
        appendRandom(to: &out)
        return fallback
    }

    /// 32 lower-case hex digits, like Ruby's `SecureRandom.hex(16)`: each 32 random bits spread
    /// to a nibble per byte and turned into digits eight at a time, appended at once.
    public mutating func appendRandom(to out: inout [UInt8]) {
        let first = random.next()
        let second = random.next()
        var digits = (
            Self.hexDigits(UInt32(truncatingIfNeeded: first)), Self.hexDigits(UInt32(truncatingIfNeeded: first >> 32)),
            Self.hexDigits(UInt32(truncatingIfNeeded: second)), Self.hexDigits(UInt32(truncatingIfNeeded: second >> 32))
        )
        withUnsafeBytes(of: &digits) { out.append(contentsOf: $0) }
    }

    /// The eight hex digits of `value`, one per byte (lowest nibble in the lowest byte).
    @inline(__always)
    static func hexDigits(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // 0...9 -> '0'..., 10...15 -> 'a'... ('a' is '0' + 10 + 39).
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return (x &+ 0x3030_3030_3030_3030 &+ letters &* 39).littleEndian
    }
}

/// xoshiro256** seeded from the system generator: random partition keys need spread, not secrecy,
/// and a system call per key would cost more than formatting the record.
struct FastRandom: Sendable, RandomNumberGenerator {
    var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64? = nil) {
        var seeder = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
        state = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}
