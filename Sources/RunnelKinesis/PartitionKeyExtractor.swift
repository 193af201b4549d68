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

    /// 32 lower-case hex digits, like Ruby's `SecureRandom.hex(16)`.
    public mutating func appendRandom(to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for _ in 0..<2 {
            var word = random.next()
            for _ in 0..<16 {
                out.append(digits.utf8Start[Int(word & 15)])
                word >>= 4
            }
        }
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
