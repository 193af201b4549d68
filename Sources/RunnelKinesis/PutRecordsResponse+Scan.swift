import RunnelCore

/// The common answer, every record accepted, read without building objects: decoding each of up
/// to 500 result entries into a value cost more CPU than formatting and signing the request did.
/// Only the failure count and the length of the result list are read; the entries are skipped.
/// Anything unusual (a failure count above zero, an unexpected shape) returns nil, and the caller
/// decodes the document in full.
extension PutRecordsResponse {
    static func allAccepted(_ body: [UInt8], countKey: String, listKey: String) -> PutRecordsResponse? {
        JSONReader.withReader(body) { reader -> PutRecordsResponse? in
            var failed: Int?
            var entries: Int?
            do {
                try reader.readObject { key, value in
                    if key.elementsEqual(countKey.utf8) {
                        failed = try value.readInteger()
                    } else if key.elementsEqual(listKey.utf8) {
                        entries = try value.readArray { _ in }
                    }
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            guard failed == 0, let entries else { return nil }
            return PutRecordsResponse(failedCount: 0, results: Array(repeating: Result(), count: entries))
        }
    }
}
