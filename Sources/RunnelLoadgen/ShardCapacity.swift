import Crypto

/// The write capacity of a provisioned Kinesis stream of `count` shards, as the Kinesis Data
/// Streams developer guide documents it ("Quotas and limits"; "Create and manage Kinesis data
/// streams": each shard takes up to 1 MiB/s and 1,000 records/s of writes). Each shard has two
/// token buckets, records and bytes, that hold one second of its limit and refill continuously;
/// a record is accepted when its shard has a record token and its size in byte tokens, otherwise
/// it is answered ProvisionedThroughputExceededException.
///
/// A record's shard is the one whose hash-key range holds the MD5 of its partition key read as a
/// 128-bit big-endian integer (PutRecordsRequestEntry.PartitionKey). The ranges split the key space
/// evenly as CreateStream does: shard i starts at i * floor(2^128 / count), and the last shard
/// ends at 2^128 - 1. A record's size is its data before base64 plus its partition key.
///
/// A value: the caller passes the time, so the buckets can be driven without a clock.
struct ShardCapacity: Sendable {
    static let recordsPerSecond = 1_000.0
    static let bytesPerSecond = 1_048_576.0

    let count: Int
    private let rangeWidth: UInt128
    private var records: [Double]
    private var bytes: [Double]
    private var updated: Double?

    init(shards count: Int) {
        precondition(count > 0)
        self.count = count
        // floor(2^128 / count), computed from UInt128.max = 2^128 - 1 (one shard holds every key).
        let divisor = UInt128(count)
        rangeWidth = count == 1 ? UInt128.max : UInt128.max / divisor + (UInt128.max % divisor == divisor - 1 ? 1 : 0)
        records = Array(repeating: ShardCapacity.recordsPerSecond, count: count)
        bytes = Array(repeating: ShardCapacity.bytesPerSecond, count: count)
    }

    /// The shard whose hash-key range holds the MD5 of this partition key.
    func shard(partitionKey: some Sequence<UInt8>) -> Int {
        let digest = Insecure.MD5.hash(data: Array(partitionKey))
        let hash = digest.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return min(Int(hash / rangeWidth), count - 1)
    }

    /// Refills every bucket for the time since the last call.
    mutating func refill(now: Double) {
        defer { updated = now }
        guard let updated, now > updated else { return }
        let elapsed = now - updated
        for index in 0..<count {
            records[index] = min(ShardCapacity.recordsPerSecond, records[index] + elapsed * ShardCapacity.recordsPerSecond)
            bytes[index] = min(ShardCapacity.bytesPerSecond, bytes[index] + elapsed * ShardCapacity.bytesPerSecond)
        }
    }

    /// Takes one record of `size` bytes from the shard's budget; false when it is over it.
    mutating func admit(shard: Int, size: Int) -> Bool {
        guard records[shard] >= 1, bytes[shard] >= Double(size) else { return false }
        records[shard] -= 1
        bytes[shard] -= Double(size)
        return true
    }
}
