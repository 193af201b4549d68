import Foundation

/// The answer to PutRecords (`FailedRecordCount`, `Records`) or PutRecordBatch
/// (`FailedPutCount`, `RequestResponses`): one result per record sent, in order.
struct PutRecordsResponse: Sendable, Equatable {
    struct Result: Sendable, Equatable {
        /// nil when the record was accepted.
        var errorCode: String?
        var errorMessage: String?

        init(errorCode: String? = nil, errorMessage: String? = nil) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    var failedCount: Int
    var results: [Result]

    /// Parses a response body; nil when it is not the expected document.
    init?(json body: [UInt8], kind: KinesisOutputKind) {
        let countKey = kind == .firehose ? "FailedPutCount" : "FailedRecordCount"
        let listKey = kind == .firehose ? "RequestResponses" : "Records"
        if let accepted = PutRecordsResponse.allAccepted(body, countKey: countKey, listKey: listKey) {
            self = accepted
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        guard let list = object[listKey] as? [[String: Any]] else { return nil }
        results = list.map { entry in
            let code = (entry["ErrorCode"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            return Result(errorCode: code, errorMessage: entry["ErrorMessage"] as? String)
        }
        failedCount = (object[countKey] as? Int) ?? results.filter { $0.errorCode != nil }.count
    }

    init(failedCount: Int, results: [Result]) {
        self.failedCount = failedCount
        self.results = results
    }
}
