import RunnelBuffer

extension PutRecordsDeliveryStateMachine {
    /// A record an answer reported as failed, with the answer's error.
    struct RecordFailure: Equatable {
        /// Index into the store.
        var record: Int
        var code: String
        var message: String
    }

    /// The re-send of an answer's failed records that a `.wait` comes before.
    struct Retry: Equatable {
        /// Counts the request's retries from 1.
        var attempt: Int
        var failures: [RecordFailure]
    }

    /// Records still failing when their request's retries were spent.
    struct FailedRecords: Equatable {
        var failures: [RecordFailure]
        /// The chunk entries they carry (many per record when aggregated).
        var entryCount: Int

        /// The error codes and how many records had each, by code: `"A x2, B x1"`.
        var summary: String {
            Dictionary(grouping: failures, by: \.code).mapValues(\.count)
                .sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        }
    }

    /// Why the chunk is not fully delivered.
    struct Failure: Equatable {
        var error: DeliveryError
        /// Retrying cannot help (missing stream, access denied, invalid request).
        var permanent: Bool
        /// The error of the whole request that ended the attempt; nil when records were left failing.
        var request: KinesisError?

        static func == (lhs: Failure, rhs: Failure) -> Bool {
            lhs.error.message == rhs.error.message && lhs.error.code == rhs.error.code
                && lhs.error.retryAfter == rhs.error.retryAfter && lhs.permanent == rhs.permanent && lhs.request == rhs.request
        }
    }

    /// What became of a chunk's records.
    struct Outcome: Equatable {
        /// Entries Kinesis took, and entries of records dropped after their retries.
        var accepted = EntrySet()
        /// With `drop_failed_records_after_batch_request_retries`: the records given up on, per request.
        var dropped: [FailedRecords] = []
        /// The last failure: records left to the buffer's retry, or the request that failed.
        var failure: Failure?
        /// With deferred retries: records that failed and wait for their backoff, to be offered
        /// again by the buffer (with their attempts) after `after`.
        var deferred: Deferred?

        /// Adds the outcome of another part of the same chunk's records (sent concurrently).
        mutating func merge(_ other: Outcome) {
            accepted.formUnion(other.accepted)
            dropped += other.dropped
            // A permanent failure wins: it sends the chunk to <secondary>.
            if let theirs = other.failure, failure == nil || (theirs.permanent && !(failure?.permanent ?? false)) { failure = theirs }
            if let theirs = other.deferred {
                if var mine = deferred {
                    mine.retries.merge(theirs.retries)
                    mine.after = min(mine.after, theirs.after)
                    mine.records += theirs.records
                    deferred = mine
                } else {
                    deferred = theirs
                }
            }
        }
    }

    /// Failed records left for a later attempt of the chunk instead of being waited for.
    struct Deferred: Equatable {
        var retries: PendingRetries
        var after: Duration
        /// How many records wait.
        var records: Int
    }
}
