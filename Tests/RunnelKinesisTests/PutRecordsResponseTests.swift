import Testing

@testable import RunnelKinesis

/// The scan for the all-accepted answer agrees with the full parse, and steps aside otherwise.
struct PutRecordsResponseTests {
    static let accepted = #"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"4959","ShardId":"shardId-000000000000"},{"SequenceNumber":"4960","ShardId":"shardId-000000000001"},{"SequenceNumber":"4961","ShardId":"shardId-000000000000"}]}"#

    @Test(arguments: [
        accepted,
        #"{ "Records" : [ {"SequenceNumber":"1","ShardId":"s"} , {"SequenceNumber":"2","ShardId":"s","Extra":{"a":[1,2,{"b":"}]"}]}} ],"FailedRecordCount" : 0 , "EncryptionType":"NONE"}"#,
        #"{"FailedRecordCount":0,"Records":[]}"#,
    ])
    func allAcceptedIsScanned(_ document: String) throws {
        let scanned = try #require(PutRecordsResponse.allAccepted(Array(document.utf8), countKey: "FailedRecordCount", listKey: "Records"))
        let parsed = try #require(PutRecordsResponse(json: Array(document.utf8), kind: .streams))
        #expect(scanned == parsed)
        #expect(scanned.results.allSatisfy { $0.errorCode == nil })
    }

    @Test func firehoseKeys() throws {
        let document = #"{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"a"},{"RecordId":"b"}]}"#
        let response = try #require(PutRecordsResponse(json: Array(document.utf8), kind: .firehose))
        #expect(response.results.count == 2 && response.failedCount == 0)
    }

    @Test(arguments: [
        // Failures: the full parse says which.
        #"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]}"#,
        // Shapes the scan does not vouch for.
        #"{"Failed\u0052ecordCount":0,"Records":[{}]}"#,
        #"{"FailedRecordCount":0}"#,
        #"{"FailedRecordCount":0,"Records":[{"a":1}"#,
        #"[]"#,
    ])
    func otherDocumentsAreLeftToTheFullParse(_ document: String) {
        #expect(PutRecordsResponse.allAccepted(Array(document.utf8), countKey: "FailedRecordCount", listKey: "Records") == nil)
    }

    @Test func failuresKeepTheirCodes() throws {
        let document = #"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]}"#
        let response = try #require(PutRecordsResponse(json: Array(document.utf8), kind: .streams))
        #expect(response.failedCount == 1)
        #expect(response.results.map(\.errorCode) == [nil, "ProvisionedThroughputExceededException"])
    }
}
