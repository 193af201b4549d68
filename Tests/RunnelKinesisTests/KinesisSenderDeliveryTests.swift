import AsyncHTTPClient
import Logging
import RunnelBuffer
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelKinesis

/// `KinesisSender.deliver`, the driver of `PutRecordsDeliveryStateMachine`, against the fake
/// Kinesis endpoint: what it logs where a decision is made, and how a cancelled wait ends the retries.
@Suite struct KinesisSenderDeliveryTests {

    /// A clock whose every sleep is cancelled, as at shutdown.
    struct CancelledClock: Clock {
        var now: ContinuousClock.Instant { .now }
        var minimumResolution: Duration { .zero }
        func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws { throw CancellationError() }
    }

    struct Harness {
        let endpoint: FakeKinesisEndpoint
        let log = LogCapture()
        let sender: KinesisSender

        init(
            _ parameters: [(String, String)] = [], faults: FakeKinesisEndpoint.Faults, tokens: [String?] = [nil],
            clock: any Clock<Duration> = ManualClock(sleep: .returnsAtOnce)
        ) async throws {
            endpoint = try await FakeKinesisEndpoint.start(faults)
            let all = [("@type", "kinesis_streams"), ("stream_name", "logs"), ("region", "us-east-1"), ("endpoint", endpoint.url)] + parameters
            let element = ConfigElement(
                name: "match", argument: "app.**", parameters: all.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) })
            sender = KinesisSender(
                configuration: try KinesisConfiguration(from: element, kind: .streams, environment: [:]),
                credentials: StaticCredentialProvider(tokens: tokens), httpClient: HTTPClient.shared,
                logger: log.logger(label: "kinesis-test"), clock: clock, jitter: { 0.5 })
        }
    }

    static func records(_ count: Int) -> [MessagePackValue] {
        (0..<count).map { .record(["seq": .uint(UInt64($0))]) }
    }

    @Test func droppedRecordsAreLoggedOnceWithTheirCodes() async throws {
        let harness = try await Harness(
            [("retries_on_batch_request", "1"), ("drop_failed_records_after_batch_request_retries", "true")],
            faults: .init(failFraction: 1.0))
        defer { harness.endpoint.stop() }
        guard case .delivered = await harness.sender.send(makeChunk(Self.records(5))) else {
            Issue.record("expected .delivered")
            return
        }
        let retries = harness.log.entries(.warning, message: "Kinesis did not take some records; retrying them").map(\.metadata)
        #expect(retries.count == 1)
        #expect(retries.first?["retry"] == "1" && retries.first?["failed"] == "5")
        #expect(retries.first?["error_code"] == "ProvisionedThroughputExceededException")
        let dropped = harness.log.entries(.error, message: "Records dropped after batch request retries (drop_failed_records_after_batch_request_retries)").map(
            \.metadata)
        #expect(dropped.count == 1)
        #expect(dropped.first?["records"] == "5" && dropped.first?["errors"] == "ProvisionedThroughputExceededException x5")
        #expect(dropped.first?["kinesis.stream"] == "logs")
    }

    @Test func aRejectedRequestIsLoggedOnceAsAnError() async throws {
        let harness = try await Harness(faults: .init(streams: ["other"]))
        defer { harness.endpoint.stop() }
        guard case .rejected = await harness.sender.send(makeChunk(Self.records(3))) else {
            Issue.record("expected .rejected")
            return
        }
        let rejected = harness.log.entries(.error, message: "Kinesis request rejected").map(\.metadata)
        #expect(rejected.count == 1)
        #expect(rejected.first?["error"].map { "\($0)".contains("ResourceNotFoundException") } == true)
        #expect(harness.log.entries(.warning, message: "Kinesis request failed; the buffer will retry").isEmpty)
    }

    @Test func anExpiredTokenIsRefreshedOnceAndSaidAtInfo() async throws {
        let harness = try await Harness(faults: .init(expiredTokenValue: "old"), tokens: ["old", "new"])
        defer { harness.endpoint.stop() }
        guard case .delivered = await harness.sender.send(makeChunk(Self.records(4))) else {
            Issue.record("expected .delivered")
            return
        }
        #expect(harness.log.entries(.info, message: "Credentials expired; refreshing and retrying").count == 1)
        #expect(harness.endpoint.records.count == 4)
    }

    /// A wait cut short (shutdown) ends that request's retries: its failed records go back to the buffer.
    @Test func aCancelledWaitLeavesTheFailedRecordsToTheBuffer() async throws {
        let harness = try await Harness(faults: .init(failFraction: 1.0), clock: CancelledClock())
        defer { harness.endpoint.stop() }
        let result = await harness.sender.send(makeChunk(Self.records(6)))
        guard case .retry(let error) = result else {
            Issue.record("expected .retry, got \(result)")
            return
        }
        #expect(
            error.message
                == "6 records for stream 'logs' still failing after 8 batch retries (ProvisionedThroughputExceededException x6); left to the buffer's retry")
        // One request, no re-send after the cancelled wait.
        #expect(harness.endpoint.stats.requestSizes == [6])
    }
}
