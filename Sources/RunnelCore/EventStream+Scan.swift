/// The one walk over packed `[time, record]` entries: validation, counting, recovery of a torn
/// chunk file and cutting a stream to a size all read entries through it.
extension EventStream {
    /// How far a walk over entries got.
    public struct EntryScan: Sendable, Equatable {
        /// Whole entries read.
        public var count: Int
        /// The offset just after the last whole entry read.
        public var end: Int
        /// Why the walk stopped before the end of the bytes, when an entry could not be read
        /// (a limit reached is not an error). `needsMoreInput` tells a torn tail from damage.
        public var error: MessagePackError?
        /// With `recordingStarts`: the offset of each whole entry read.
        public var starts: [Int] = []

        public init(count: Int, end: Int, error: MessagePackError?, starts: [Int] = []) {
            self.count = count
            self.end = end
            self.error = error
            self.starts = starts
        }
    }

    /// Walks the entries of `bytes` from `start`, stopping at the end, at an entry that is not
    /// `[time, record]` (reported in `error`), before the entry that would take the walk past
    /// `maxBytes`, or after `maxCount` entries. `recordingStarts` also returns where each entry starts.
    public static func scanEntries(
        _ bytes: [UInt8], from start: Int = 0, maxBytes: Int = .max, maxCount: Int = .max, recordingStarts: Bool = false
    ) -> EntryScan {
        MessagePackReader.withReader(bytes) { reader in
            reader.offset = start
            var count = 0
            var starts: [Int] = []
            while !reader.isAtEnd, count < maxCount {
                let before = reader.offset
                do {
                    _ = try reader.readEntryRanges()
                } catch {
                    reader.offset = before
                    return EntryScan(
                        count: count, end: before, error: error as? MessagePackError ?? .truncated(offset: before), starts: starts)
                }
                if reader.offset - start > maxBytes {
                    reader.offset = before
                    break
                }
                if recordingStarts { starts.append(before) }
                count += 1
            }
            return EntryScan(count: count, end: reader.offset, error: nil, starts: starts)
        }
    }
}
