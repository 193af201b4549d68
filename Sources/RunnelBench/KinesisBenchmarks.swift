import AsyncHTTPClient
import Foundation
import Logging
import RunnelAWS
import RunnelBuffer
import RunnelCore
import RunnelKinesis
import RunnelSigV4

/// Kinesis output: format + batch + sign without network, and optionally end to end to
/// a Kinesis endpoint such as `runnel-loadgen sink` when `RUNNEL_KINESIS_ENDPOINT` names one (http://127.0.0.1:PORT).
func kinesisBenchmarks() -> [Benchmark] {
    let events = 100_000
    let stream = sampleEventStream(tag: "bench.kinesis", count: events)
    let chunk = ChunkToSend(id: "bench", metadata: ChunkMetadata(tag: "bench.kinesis"), entries: stream.entries, count: stream.count)
    let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("bench-secret"), sessionToken: Secret("token"))
    var logger = Logger(label: "bench.kinesis")
    logger.logLevel = .critical

    func sender(_ kind: KinesisOutputKind, endpoint: String = "http://127.0.0.1:9", partitionKey: String? = nil) -> KinesisSender {
        var configuration = KinesisConfiguration(kind: kind, streamName: "bench", region: "us-east-1")
        configuration.endpoint = URL(string: endpoint)
        if let partitionKey { configuration.partitionKey = RecordAccessor(partitionKey) }
        return KinesisSender(
            configuration: configuration, credentials: BenchCredentials(credentials: credentials),
            httpClient: HTTPClient.shared, logger: logger)
    }

    /// PutRecords answers of 500 entries, as Kinesis writes them: every record accepted (the
    /// common case, read on every flush) and 3 throttled (decoded in full).
    func putRecordsAnswer(failing: Set<Int>) -> [UInt8] {
        let entries = (0..<500).map { index in
            failing.contains(index)
                ? #"{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard shardId-000000000001 in stream bench under account 123456789012."}"#
                : #"{"SequenceNumber":"4959391883497839925651592587614963282637616880556769\#(1000 + index)","ShardId":"shardId-000000000001"}"#
        }
        return Array(#"{"EncryptionType":"NONE","FailedRecordCount":\#(failing.count),"Records":[\#(entries.joined(separator: ","))]}"#.utf8)
    }
    let allAccepted = putRecordsAnswer(failing: [])
    let someFailed = putRecordsAnswer(failing: [7, 250, 499])

    /// Parses one answer 200 times (100,000 result entries).
    @Sendable func parseResponses(_ body: [UInt8]) -> Work {
        var entries = 0
        for _ in 0..<200 {
            guard let response = PutRecordsResponse(json: body, kind: .streams) else { preconditionFailure("PutRecords answer not parsed") }
            entries += response.results.count
        }
        return Work(items: entries, bytes: body.count * 200)
    }

    /// Formats, batches, writes the bodies and signs each one (SHA-256 of the body included).
    @Sendable func formatBatchSign(_ sender: KinesisSender, service: String) throws -> Work {
        let signer = SigV4Signer(service: service, region: "us-east-1")
        var bytes = 0
        let date = Date()
        let count = try sender.encodeRequests(chunk) { body in
            let signature = signer.sign(
                SigV4Signer.Request(
                    method: "POST", host: "kinesis.us-east-1.amazonaws.com",
                    headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Kinesis_20131202.PutRecords")],
                    body: body),
                credentials: credentials, date: date)
            bytes += body.count + signature.signature.utf8.count
        }
        return Work(items: count, bytes: bytes)
    }

    let streams = sender(.streams)
    let keyed = sender(.streams, partitionKey: "request_id")
    let firehose = sender(.firehose)
    let aggregated = sender(.streamsAggregated)
    var benchmarks = [
        Benchmark("kinesis.streams.format-batch-sign") { try formatBatchSign(streams, service: "kinesis") },
        Benchmark("kinesis.streams.format-batch-sign.partition-key") { try formatBatchSign(keyed, service: "kinesis") },
        Benchmark("kinesis.firehose.format-batch-sign") { try formatBatchSign(firehose, service: "firehose") },
        Benchmark("kinesis.aggregated.format-aggregate-sign") { try formatBatchSign(aggregated, service: "kinesis") },
        Benchmark("kinesis.put-records-response.all-accepted") { parseResponses(allAccepted) },
        Benchmark("kinesis.put-records-response.some-failed") { parseResponses(someFailed) },
    ]
    if let endpoint = ProcessInfo.processInfo.environment["RUNNEL_KINESIS_ENDPOINT"] {
        let remote = sender(.streams, endpoint: endpoint)
        benchmarks.append(
            Benchmark("kinesis.streams.end-to-end.test-endpoint") {
                // Four chunks of 25,000 in flight, as flush_thread_count 4 would.
                let quarter = events / 4
                let slices = try (0..<4).map { part -> ChunkToSend in
                    var builder = EventStreamBuilder(tag: "bench.kinesis", capacity: stream.entries.count / 4 + 1024)
                    var index = 0
                    try stream.forEachEntry { time, reader in
                        if index / quarter == part {
                            var copy = reader
                            let range = try copy.skipValueRange()
                            builder.append(time: time, encodedRecord: UnsafeRawBufferPointer(rebasing: reader.bytes[range]))
                        }
                        index += 1
                    }
                    let built = builder.build()
                    return ChunkToSend(id: "e2e\(part)", metadata: ChunkMetadata(tag: "bench"), entries: built.entries, count: built.count)
                }
                let delivered = await withTaskGroup(of: Int.self) { group in
                    for slice in slices {
                        group.addTask {
                            if case .delivered = await remote.send(slice) { return slice.count }
                            return 0
                        }
                    }
                    return await group.reduce(0, +)
                }
                return Work(items: delivered, bytes: stream.entries.count)
            })
    }
    return benchmarks
}

/// Fixed credentials for benchmarks.
struct BenchCredentials: CredentialProvider {
    let credentials: AWSCredentials
    func credentials() async throws -> AWSCredentials { credentials }
    func invalidate() async {}
}
