extension FakeKinesisEndpoint {
    /// The faults the endpoint injects; change them while it runs with `setFaults(_:)`.
    public struct Faults: Sendable {
        /// Fraction of records failing with ProvisionedThroughputExceededException (Firehose:
        /// ServiceUnavailableException), on every request.
        public var failFraction: Double = 0
        /// The next N requests fail whole with HTTP `errorStatus`.
        public var errorBurst = 0
        /// Status of those failures: 500 answers InternalFailure, anything else ServiceUnavailable.
        public var errorStatus = 503
        /// Let this many requests through before the burst starts.
        public var errorBurstAfter = 0
        /// How long to wait before answering each request.
        public var delay: Duration = .zero
        /// The next N requests get their connection closed without an answer.
        public var dropConnections = 0
        /// The next N requests get 400 ExpiredTokenException.
        public var expiredToken = 0
        /// Requests whose X-Amz-Security-Token equals this get ExpiredTokenException.
        public var expiredTokenValue: String?
        /// The streams that exist (others: ResourceNotFoundException); empty: every stream exists.
        public var streams: Set<String> = []

        public init(
            failFraction: Double = 0, errorBurst: Int = 0, errorStatus: Int = 503, errorBurstAfter: Int = 0,
            delay: Duration = .zero, dropConnections: Int = 0, expiredToken: Int = 0, expiredTokenValue: String? = nil,
            streams: Set<String> = []
        ) {
            self.failFraction = failFraction
            self.errorBurst = errorBurst
            self.errorStatus = errorStatus
            self.errorBurstAfter = errorBurstAfter
            self.delay = delay
            self.dropConnections = dropConnections
            self.expiredToken = expiredToken
            self.expiredTokenValue = expiredTokenValue
            self.streams = streams
        }
    }

    /// An accepted record, its Data decoded from base64.
    public struct Record: Sendable, Equatable {
        public var stream: String
        /// The partition key; nil for Firehose.
        public var key: String?
        public var data: [UInt8]

        /// The data as UTF-8 text.
        public var text: String { String(decoding: data, as: UTF8.self) }
    }

    /// One PutRecords or PutRecordBatch request that reached the record checks.
    public struct RequestLogEntry: Sendable, Equatable {
        public var records: Int
        public var failed: Int
    }

    public struct StreamCounts: Sendable, Equatable {
        public var accepted = 0
        public var failed = 0
    }

    /// What the endpoint has counted since it started or was last reset.
    public struct Stats: Sendable {
        /// Every request to a Kinesis or Firehose target, answered or not.
        public var requests = 0
        public var recordsReceived = 0
        public var recordsAccepted = 0
        public var recordsFailed = 0
        /// Data bytes of the accepted records.
        public var bytesAccepted = 0
        /// Requests that failed whole, by error code (`dropped_connection` for a closed connection).
        public var wholeRequestErrors: [String: Int] = [:]
        /// Records that failed, by error code.
        public var recordErrors: [String: Int] = [:]
        public var perStream: [String: StreamCounts] = [:]
        public var requestsLog: [RequestLogEntry] = []

        /// The record count of each logged request, in order.
        public var requestSizes: [Int] { requestsLog.map(\.records) }
    }
}
