/// The formatted records of one chunk attempt, in chunk order, in one byte arena: each record
/// is a data range and a partition-key range, and the chunk entries it carries (one, or many
/// for an aggregated record). Requests and retries refer to records by index.
struct RecordStore: Sendable {
    struct Record: Sendable {
        var data: Range<Int>
        var key: Range<Int>
        /// Indices into `entryIndices`.
        var entries: Range<Int>
        /// What counts against Kinesis' limits: data plus partition key bytes.
        var size: Int { data.count + key.count }
    }

    var bytes: [UInt8] = []
    var records: [Record] = []
    /// Chunk entry indices, referred to by `Record.entries`.
    var entryIndices: [Int] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { records.count }

    func key(of index: Int) -> ArraySlice<UInt8> { bytes[records[index].key] }

    /// The chunk entries carried by record `index`.
    func entries(of index: Int) -> ArraySlice<Int> { entryIndices[records[index].entries] }

    /// Appends a record whose data and key bytes were appended to `bytes` at `dataStart` and `keyStart`.
    mutating func commit(dataStart: Int, keyStart: Int, entry: Int) {
        let first = entryIndices.count
        entryIndices.append(entry)
        records.append(Record(data: dataStart..<keyStart, key: keyStart..<bytes.count, entries: first..<(first + 1)))
    }
}
