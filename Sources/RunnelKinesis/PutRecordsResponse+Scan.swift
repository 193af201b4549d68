import RunnelCore

/// The answer read without building objects: decoding each of up to 500 result entries into a
/// value cost more CPU than formatting and signing the request did. Each entry's `ErrorCode` and
/// `ErrorMessage` are read (only when present; an accepted entry is skipped), every other member
/// is skipped. An unexpected shape returns nil, and the caller decodes the document in full.
extension PutRecordsResponse {
    static func scan(_ body: [UInt8], countKey: String, listKey: String) -> PutRecordsResponse? {
        allAccepted(body, countKey: countKey, listKey: listKey) ?? scanEntries(body, countKey: countKey, listKey: listKey)
    }

    /// The common answer, every record accepted: only the failure count and the number of
    /// entries are read, the entries skipped whole. Nil otherwise.
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

    static func scanEntries(_ body: [UInt8], countKey: String, listKey: String) -> PutRecordsResponse? {
        JSONReader.withReader(body) { reader -> PutRecordsResponse? in
            var failed: Int?
            var results: [Result]?
            do {
                try reader.readObject { key, value in
                    if key.elementsEqual(countKey.utf8) {
                        failed = try value.readInteger()
                    } else if key.elementsEqual(listKey.utf8) {
                        var list: [Result] = []
                        list.reserveCapacity(500)
                        try value.readArray { entry in
                            guard try entry.peekKind() == .object else { throw Unusual() }
                            var result = Result()
                            try entry.readObject { member, value in
                                if member.elementsEqual(errorCode) {
                                    if try !value.readNullIfPresent() {
                                        let code = try value.readString()
                                        result.errorCode = code.isEmpty ? nil : code
                                    }
                                } else if member.elementsEqual(errorMessage) {
                                    if try !value.readNullIfPresent() { result.errorMessage = try value.readString() }
                                }
                            }
                            list.append(result)
                        }
                        results = list
                    }
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            guard let results else { return nil }
            return PutRecordsResponse(failedCount: failed ?? results.filter { $0.errorCode != nil }.count, results: results)
        }
    }

    private struct Unusual: Error {}
    private static let errorCode = Array("ErrorCode".utf8)
    private static let errorMessage = Array("ErrorMessage".utf8)
}
