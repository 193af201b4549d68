import Testing

@testable import RunnelKinesis

/// The scan of an answer agrees with the full parse, and steps aside for shapes it does not vouch for.
struct PutRecordsResponseTests {
    static let accepted =
        #"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"4959","ShardId":"shardId-000000000000"},{"SequenceNumber":"4960","ShardId":"shardId-000000000001"},{"SequenceNumber":"4961","ShardId":"shardId-000000000000"}]}"#

    @Test(arguments: [
        accepted,
        #"{ "Records" : [ {"SequenceNumber":"1","ShardId":"s"} , {"SequenceNumber":"2","ShardId":"s","Extra":{"a":[1,2,{"b":"}]"}]}} ],"FailedRecordCount" : 0 , "EncryptionType":"NONE"}"#,
        #"{"FailedRecordCount":0,"Records":[]}"#,
        #"{"FailedRecordCount":2,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard"},{"ErrorMessage":"Internal \"error\"","ErrorCode":"InternalFailure","Extra":[{"ErrorCode":"not this one"}]}]}"#,
        #"{"Records":[{"ErrorCode":"","ErrorMessage":null},{"ErrorCode":null},{"ErrorCode":"A\u0042"}]}"#,
    ])
    func answersAreScanned(_ document: String) throws {
        let scanned = try #require(PutRecordsResponse.scan(Array(document.utf8), countKey: "FailedRecordCount", listKey: "Records"))
        let parsed = try #require(PutRecordsResponse.decoded(Array(document.utf8), countKey: "FailedRecordCount", listKey: "Records"))
        #expect(scanned == parsed)
        #expect(PutRecordsResponse(json: Array(document.utf8), kind: .streams) == parsed)
    }

    @Test func firehoseKeys() throws {
        let document = #"{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"a"},{"RecordId":"b"}]}"#
        let response = try #require(PutRecordsResponse(json: Array(document.utf8), kind: .firehose))
        #expect(response.results.count == 2 && response.failedCount == 0)
    }

    @Test(arguments: [
        // Shapes the scan does not vouch for.
        #"{"FailedRecordCount":0}"#,
        #"{"FailedRecordCount":0.0,"Records":[]}"#,
        #"{"FailedRecordCount":0,"Records":[{"a":1}"#,
        #"[]"#,
        #"{"Records":[1]}"#,
    ])
    func otherDocumentsAreLeftToTheFullParse(_ document: String) {
        #expect(PutRecordsResponse.scan(Array(document.utf8), countKey: "FailedRecordCount", listKey: "Records") == nil)
    }

    /// Keys are read with their escapes decoded (JSON allows `\u0052` for `R`), by the scan as by the full parse.
    @Test func escapedKeysAreRead() throws {
        let document = Array(#"{"Failed\u0052ecordCount":0,"Records":[{}]}"#.utf8)
        let scanned = try #require(PutRecordsResponse.scan(document, countKey: "FailedRecordCount", listKey: "Records"))
        #expect(scanned == PutRecordsResponse(failedCount: 0, results: [.init()]))
        #expect(PutRecordsResponse(json: document, kind: .streams) == scanned)
    }

    @Test func failuresKeepTheirCodes() throws {
        let document =
            #"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]}"#
        let response = try #require(PutRecordsResponse(json: Array(document.utf8), kind: .streams))
        #expect(response.failedCount == 1)
        #expect(response.results.map(\.errorCode) == [nil, "ProvisionedThroughputExceededException"])
    }
}
