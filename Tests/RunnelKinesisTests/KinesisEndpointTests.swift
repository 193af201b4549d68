import AsyncHTTPClient
import Foundation
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

/// The senders against the fake Kinesis endpoint (RunnelTestSupport): limits, faults, retries, zero loss.
@Suite struct KinesisEndpointTests {

    struct Harness {
        let endpoint: FakeKinesisEndpoint
        let clock = ManualClock(sleep: .returnsAtOnce)
        let credentials: StaticCredentialProvider
        let sender: KinesisSender

        init(
            _ parameters: KeyValuePairs<String, String> = [:], kind: KinesisOutputKind = .streams,
            faults: FakeKinesisEndpoint.Faults = FakeKinesisEndpoint.Faults(), tokens: [String?] = [nil], children: [ConfigElement] = []
        ) async throws {
            endpoint = try await FakeKinesisEndpoint.start(faults)
            var all: [(String, String)] = [
                ("@type", kind.rawValue), (kind == .firehose ? "delivery_stream_name" : "stream_name", "logs"),
                ("region", "us-east-1"), ("endpoint", endpoint.url),
                // These tests follow fluent-plugin-kinesis' backoffs sleep by sleep; pacing would add its own waits.
                ("adaptive_pacing", "false"),
                // One request at a time, so that the endpoint's log is in the order of the records.
                ("max_concurrent_requests", "1"),
            ]
            all.removeAll { key, _ in parameters.contains { $0.key == key } }
            all.append(contentsOf: parameters.map { ($0.key, $0.value) })
            let element = ConfigElement(
                name: "match", argument: "app.**",
                parameters: all.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) }, children: children)
            let configuration = try KinesisConfiguration(from: element, kind: kind, environment: [:])
            credentials = StaticCredentialProvider(tokens: tokens)
            sender = KinesisSender(
                configuration: configuration, credentials: credentials, httpClient: HTTPClient.shared, logger: testLogger(),
                clock: clock, jitter: { 0.5 })
        }

        /// Sends `chunk` until it is delivered, as the buffer would, returning every result.
        func deliverAll(_ chunk: ChunkToSend, attempts: Int = 20) async -> [DeliveryResult] {
            var chunk = chunk
            var results: [DeliveryResult] = []
            for _ in 0..<attempts {
                let result = await sender.send(chunk)
                results.append(result)
                switch result {
                case .delivered: return results
                case .partial(let accepted, _):
                    chunk.delivered.formUnion(accepted)
                    chunk.retryCount += 1
                case .retry, .rejected:
                    chunk.retryCount += 1
                case .deferred(let accepted, let retries, _):
                    chunk.delivered.formUnion(accepted)
                    chunk.retries = retries
                }
            }
            return results
        }
    }

    static func records(_ count: Int, keys: Int = 50, size: Int = 0) -> [MessagePackValue] {
        (0..<count).map { index in
            .record([
                "seq": .uint(UInt64(index)), "key": .string("k\(index % keys)"),
                "message": .string("event \(index) " + String(repeating: "x", count: size)),
            ])
        }
    }

    static func isDelivered(_ result: DeliveryResult?) -> Bool {
        if case .delivered = result { return true }
        return false
    }

    /// With `adaptive_pacing`, the sender asks the stream's open shards (4 at the fake endpoint)
    /// before its first request, and paces from then on to what they take.
    @Test func adaptivePacingStartsFromTheStreamsOpenShards() async throws {
        let harness = try await Harness(["adaptive_pacing": "true"])
        defer { harness.endpoint.stop() }
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(Self.records(10)))))
        #expect(harness.sender.pacers?.capacity(of: "logs") == StreamCapacity(openShards: 4))
        #expect(harness.sender.pacers?.rate(of: "logs") == ThroughputPacer.headroom * 4_000)
        #expect(harness.endpoint.records.count == 10)
    }

    @Test func fixedPartitionKeyIsEveryRecordsKey() async throws {
        let harness = try await Harness(["fixed_partition_key": "router"])
        defer { harness.endpoint.stop() }
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(Self.records(600)))))
        let stored = harness.endpoint.records
        #expect(stored.count == 600)
        #expect(stored.allSatisfy { $0.key == "router" })
    }

    @Test func everyRecordArrivesInRequestsWithinTheLimits() async throws {
        let harness = try await Harness(["partition_key": "key"])
        defer { harness.endpoint.stop() }
        let records = Self.records(1203)
        let result = await harness.sender.send(makeChunk(records))
        #expect(Self.isDelivered(result))
        let stored = harness.endpoint.records
        #expect(stored.count == 1203)
        for (index, item) in stored.enumerated() {
            #expect(item.stream == "logs")
            #expect(item.key == "k\(index % 50)")
            #expect(String(decoding: item.data, as: UTF8.self) == "{\"seq\":\(index),\"key\":\"k\(index % 50)\",\"message\":\"event \(index) \"}\n")
        }
        let log = harness.endpoint.stats.requestsLog
        #expect(log.map(\.records) == [500, 500, 203])
    }

    @Test func oversizedRecordIsDroppedAndTheRestDelivered() async throws {
        let harness = try await Harness()
        defer { harness.endpoint.stop() }
        // data = {"message":"…"}\n: 15 bytes of JSON around the string; random keys are 32 bytes.
        let fits = (1 << 20) - 32 - 15
        let records: [MessagePackValue] = [
            .record(["message": "first"]),
            .record(["message": .string(String(repeating: "a", count: fits))]),
            .record(["message": .string(String(repeating: "a", count: fits + 1))]),
            .record(["message": "last"]),
        ]
        let result = await harness.sender.send(makeChunk(records))
        #expect(Self.isDelivered(result))
        let stored = harness.endpoint.records
        #expect(stored.count == 3)
        #expect(stored.map { $0.data.count + ($0.key?.utf8.count ?? 0) } == [15 + 5 + 32, 1 << 20, 15 + 4 + 32])
        // The 1 MiB record goes alone: 1 MiB + the first record would still fit in 5 MiB, so one request.
        let log = harness.endpoint.stats.requestsLog
        #expect(log.map(\.records) == [3])
    }

    @Test func fiveMebibyteRequestLimitSplitsRequests() async throws {
        let harness = try await Harness()
        defer { harness.endpoint.stop() }
        // Records of ~600 KiB: eight fit in 5 MiB.
        let records = Self.records(9, size: 600 << 10)
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(records))))
        let log = harness.endpoint.stats.requestsLog
        #expect(log.map(\.records) == [8, 1])
        #expect(harness.endpoint.stats.recordsAccepted == 9)
    }

    /// max_concurrent_requests: the requests of a slice go out together, and each record once.
    @Test func concurrentRequestsDeliverEveryRecordOnce() async throws {
        let harness = try await Harness(["max_concurrent_requests": "4"], faults: .init(failFraction: 0.3))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(2300)))
        #expect(Self.isDelivered(results.last))
        let seqs = harness.endpoint.records.compactMap { record -> Int? in
            guard case .uint(let seq)? = (try? JSONReader.decode(Array(record.data)))?["seq"] else { return nil }
            return Int(seq)
        }
        #expect(seqs.sorted() == Array(0..<2300))
        // The five requests of the records (500, 500, 500, 500, 300), then the retries of the throttled ones, alone.
        let sizes = harness.endpoint.stats.requestsLog.map(\.records)
        #expect(sizes.filter { $0 == 500 }.count == 4 && sizes.filter { $0 == 300 }.count == 1)
    }

    @Test func throttledRecordsAreRetriedWithBackoffAndNoneLost() async throws {
        let harness = try await Harness(["partition_key": "key"], faults: .init(failFraction: 0.3))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(2000)))
        #expect(Self.isDelivered(results.last))
        let stored = harness.endpoint.records
        // Zero loss, no duplicates: every seq exactly once.
        let seqs = stored.map { item -> Int in
            let text = String(decoding: item.data, as: UTF8.self)
            return Int(text.split(separator: ":")[1].split(separator: ",")[0])!
        }
        #expect(seqs.count == 2000)
        #expect(Set(seqs) == Set(0..<2000))
        let stats = harness.endpoint.stats
        #expect(stats.recordsFailed > 300)
        // Every retry followed an answer that got records through, so the backoff restarted: all waits 0.3 s.
        let sleeps = harness.clock.sleeps
        #expect(!sleeps.isEmpty)
        #expect(sleeps.allSatisfy { $0 == .milliseconds(300) })
        // Only the failed records were re-sent, alone: the second request carries exactly the first one's failures.
        let log = stats.requestsLog
        #expect(log[1].records == log[0].failed)
    }

    @Test func backoffDoublesWhileNothingGetsThroughThenGoesBackToTheBuffer() async throws {
        let harness = try await Harness(["retries_on_batch_request": "4"], faults: .init(failFraction: 1.0))
        defer { harness.endpoint.stop() }
        let result = await harness.sender.send(makeChunk(Self.records(10)))
        guard case .retry(let error) = result else {
            Issue.record("expected .retry, got \(result)")
            return
        }
        #expect(error.code == "ProvisionedThroughputExceededException")
        #expect(harness.clock.sleeps == [.milliseconds(300), .milliseconds(600), .milliseconds(1200), .milliseconds(2400)])
        let log = harness.endpoint.stats.requestsLog
        #expect(log.map(\.records) == [10, 10, 10, 10, 10])
    }

    @Test func resetAfterSuccessIsObservedAcrossAttempts() async throws {
        let harness = try await Harness(["retries_on_batch_request": "3"], faults: .init(failFraction: 1.0))
        defer { harness.endpoint.stop() }
        let chunk = makeChunk(Self.records(10))
        let sendTask = Task { await harness.sender.send(chunk) }
        // Let a few attempts fail, then let records through: the waits restart.
        _ = await sendTask.value
        #expect(harness.clock.sleeps == [.milliseconds(300), .milliseconds(600), .milliseconds(1200)])
        harness.endpoint.setFaults { $0.failFraction = 0.5 }
        let results = await harness.deliverAll(chunk)
        #expect(Self.isDelivered(results.last))
        let later = Array(harness.clock.sleeps.dropFirst(3))
        // After an answer with successes the next wait is 0.3 s again.
        #expect(later.first == .milliseconds(300) || later.isEmpty)
        #expect(harness.endpoint.records.count == 10)
    }

    @Test func dropAfterRetriesDeliversByDropping() async throws {
        let harness = try await Harness(
            ["retries_on_batch_request": "1", "drop_failed_records_after_batch_request_retries": "true"],
            faults: .init(failFraction: 1.0))
        defer { harness.endpoint.stop() }
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(Self.records(5)))))
        #expect(harness.clock.sleeps == [.milliseconds(300)])
        #expect(harness.endpoint.records.isEmpty)
    }

    /// A 5xx is retried in place as the AWS SDK for Ruby retries it (3 times, 0.3 s doubling):
    /// a passing error costs a wait, not a trip through the buffer's retry.
    @Test func serverErrorsAreRetriedAsTheSDKRetriesThem() async throws {
        let harness = try await Harness(faults: .init(errorBurst: 3, errorStatus: 500))
        defer { harness.endpoint.stop() }
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(Self.records(700)))))
        #expect(harness.clock.sleeps == [.milliseconds(300), .milliseconds(600), .milliseconds(1200)])
        #expect(harness.endpoint.records.count == 700)
    }

    /// Past the SDK's retries the request fails and the chunk goes back to the buffer.
    @Test func serverErrorBurstsGoBackToTheBufferWithoutLoss() async throws {
        let harness = try await Harness(faults: .init(errorBurst: 5, errorStatus: 503))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(700)))
        #expect(results.count == 2)
        if case .retry(let error) = results[0] { #expect(error.code == "ServiceUnavailable") } else { Issue.record("\(results[0])") }
        #expect(Self.isDelivered(results.last))
        #expect(harness.endpoint.records.count == 700)
    }

    @Test func serverErrorAfterAFirstRequestIsPartial() async throws {
        let harness = try await Harness(faults: .init(errorBurst: 4, errorStatus: 500, errorBurstAfter: 1))
        defer { harness.endpoint.stop() }
        let chunk = makeChunk(Self.records(700))
        let first = await harness.sender.send(chunk)
        guard case .partial(let accepted, let error) = first else {
            Issue.record("expected .partial, got \(first)")
            return
        }
        #expect(accepted == EntrySet(0..<500))
        #expect(error.code == "InternalFailure")
        var rest = chunk
        rest.delivered = accepted
        let results = await harness.deliverAll(rest)
        #expect(Self.isDelivered(results.last))
        let seqs = harness.endpoint.records.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(seqs.count == 700 && Set(seqs).count == 700)
    }

    @Test func expiredTokenRefreshesCredentialsAndRetriesAtOnce() async throws {
        let harness = try await Harness(faults: .init(expiredTokenValue: "old"), tokens: ["old", "new"])
        defer { harness.endpoint.stop() }
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(Self.records(10)))))
        #expect(harness.credentials.invalidations == 1)
        #expect(harness.clock.sleeps.isEmpty)
        #expect(harness.endpoint.records.count == 10)
    }

    @Test func droppedConnectionIsRetried() async throws {
        let harness = try await Harness(faults: .init(dropConnections: 1))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(10)))
        #expect(Self.isDelivered(results.last))
        #expect(harness.endpoint.records.count == 10)
    }

    @Test func missingStreamIsRejectedWithAdvice() async throws {
        let harness = try await Harness(faults: .init(streams: ["other"]))
        defer { harness.endpoint.stop() }
        let result = await harness.sender.send(makeChunk(Self.records(3)))
        guard case .rejected(let error) = result else {
            Issue.record("expected .rejected, got \(result)")
            return
        }
        #expect(error.code == "ResourceNotFoundException")
        #expect(error.message.hasPrefix("stream 'logs' not found in us-east-1 (ResourceNotFoundException): check stream_name and region"))
    }

    @Test func retainOrderingKeepsPerKeyOrderUnderThrottling() async throws {
        let harness = try await Harness(
            ["partition_key": "key", "retain_ordering": "true", "retries_on_batch_request": "2"],
            faults: .init(failFraction: 0.3))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(200, keys: 20)), attempts: 60)
        #expect(Self.isDelivered(results.last))
        let stored = harness.endpoint.records
        #expect(stored.count == 200)
        var lastSeq: [String: Int] = [:]
        for item in stored {
            let text = String(decoding: item.data, as: UTF8.self)
            let seq = Int(text.split(separator: ":")[1].split(separator: ",")[0])!
            if let previous = lastSeq[item.key!] { #expect(previous < seq, "key \(item.key!) reordered") }
            lastSeq[item.key!] = seq
        }
    }

    @Test func firehoseAppendsNewlinesAndUsesPutRecordBatch() async throws {
        let harness = try await Harness(kind: .firehose, faults: .init(failFraction: 0.2))
        defer { harness.endpoint.stop() }
        let results = await harness.deliverAll(makeChunk(Self.records(1100)))
        #expect(Self.isDelivered(results.last))
        let stored = harness.endpoint.records
        #expect(stored.count == 1100)
        #expect(stored.allSatisfy { $0.key == nil && $0.data.last == 0x0a && $0.data.dropLast().last == UInt8(ascii: "}") })
        let log = harness.endpoint.stats.requestsLog
        #expect(log.first?.records == 500)
    }

    @Test func aggregatedRecordsDecodeIntoTheOriginals() async throws {
        let harness = try await Harness(
            ["fixed_partition_key": "fixed", "batch_request_max_size": "16k"], kind: .streamsAggregated,
            children: [ConfigElement("format", "", ["@type": "single_value", "message_key": "message"])])
        defer { harness.endpoint.stop() }
        let records = Self.records(3000)
        #expect(Self.isDelivered(await harness.sender.send(makeChunk(records))))
        let stored = harness.endpoint.records
        #expect(stored.count > 1)
        var decoded: [String] = []
        for item in stored {
            #expect(item.key == "fixed")
            #expect(item.data.count + 5 <= 16 << 10)
            let aggregate = try KPLAggregator.decode(item.data)
            #expect(aggregate.keys == ["fixed"])
            decoded.append(contentsOf: aggregate.records.map { String(decoding: $0.data, as: UTF8.self) })
        }
        #expect(decoded == (0..<3000).map { "event \($0) \n" })
    }
}
