import RunnelCore

/// The answer to PutRecords (`FailedRecordCount`, `Records`) or PutRecordBatch
/// (`FailedPutCount`, `RequestResponses`): one result per record sent, in order.
public struct PutRecordsResponse: Sendable, Equatable {
    public struct Result: Sendable, Equatable {
        /// nil when the record was accepted.
        public var errorCode: String?
        public var errorMessage: String?

        public init(errorCode: String? = nil, errorMessage: String? = nil) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var failedCount: Int
    public var results: [Result]

    /// Parses a response body; nil when it is not the expected document.
    public init?(json body: [UInt8], kind: KinesisOutputKind) {
        let countKey = kind == .firehose ? "FailedPutCount" : "FailedRecordCount"
        let listKey = kind == .firehose ? "RequestResponses" : "Records"
        guard
            let response = PutRecordsResponse.scan(body, countKey: countKey, listKey: listKey)
                ?? PutRecordsResponse.decoded(body, countKey: countKey, listKey: listKey)
        else { return nil }
        self = response
    }

    /// The document decoded in full into values: what the scan must agree with, and the way
    /// for shapes it does not vouch for.
    static func decoded(_ body: [UInt8], countKey: String, listKey: String) -> PutRecordsResponse? {
        guard let object = try? JSONReader.decode(body), object.mapValue != nil,
            case .array(let list)? = object[listKey]
        else { return nil }
        var results: [Result] = []
        results.reserveCapacity(list.count)
        for entry in list {
            guard entry.mapValue != nil else { return nil }
            let code = entry["ErrorCode"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            results.append(Result(errorCode: code, errorMessage: entry["ErrorMessage"]?.stringValue))
        }
        let failedCount: Int
        switch object[countKey] {
        case .int(let count)?: failedCount = Int(count)
        case .uint(let count)?: failedCount = Int(clamping: count)
        default: failedCount = results.filter { $0.errorCode != nil }.count
        }
        return PutRecordsResponse(failedCount: failedCount, results: results)
    }

    public init(failedCount: Int, results: [Result]) {
        self.failedCount = failedCount
        self.results = results
    }
}
