import AsyncHTTPClient
import Logging
import RunnelBuffer
import RunnelConfig
import RunnelCore
import Synchronization
import Testing

@testable import RunnelKinesis

/// `KinesisSender.deliver`, the driver of `PutRecordsDeliveryStateMachine`, against
/// scripts/kinesis-test-endpoint.py: what it logs where a decision is made, and how a cancelled
/// wait ends the retries.
@Suite(.serialized) struct KinesisSenderDeliveryTests {
    static let available = TestPaths.python != nil

    /// Keeps every log event, with its metadata, for the test to read.
    final class LogRecorder: LogHandler, @unchecked Sendable {
        // @unchecked: `events` is a Mutex; `metadata` and `logLevel` are only set before logging starts.
        let events = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            events.withLock { $0.append((event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })) }
        }

        func events(_ level: Logger.Level, _ message: String) -> [Logger.Metadata] {
            events.withLock { $0.filter { $0.level == level && $0.message == message }.map(\.metadata) }
        }
    }

    /// A clock whose every sleep is cancelled, as at shutdown.
    struct CancelledClock: Clock {
        var now: ContinuousClock.Instant { .now }
        var minimumResolution: Duration { .zero }
        func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws { throw CancellationError() }
    }

    struct Harness {
        let endpoint: TestEndpoint
        let log: LogRecorder
        let sender: KinesisSender

        init(
            _ parameters: [(String, String)] = [], endpointArguments: [String], tokens: [String?] = [nil],
            clock: any Clock<Duration> = RecordingClock()
        ) throws {
            endpoint = try TestEndpoint(arguments: endpointArguments, httpClient: HTTPClient.shared)
            let all = [("@type", "kinesis_streams"), ("stream_name", "logs"), ("region", "us-east-1"), ("endpoint", endpoint.url)] + parameters
            let element = ConfigElement(
                name: "match", argument: "app.**", parameters: all.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) })
            let log = LogRecorder()
            self.log = log
            sender = KinesisSender(
                configuration: try KinesisConfiguration(from: element, kind: .streams, environment: [:]),
                credentials: StaticCredentialProvider(tokens: tokens), httpClient: HTTPClient.shared,
                logger: Logger(label: "kinesis-test") { _ in log }, clock: clock, jitter: { 0.5 })
        }
    }

    static func records(_ count: Int) -> [MessagePackValue] {
        (0..<count).map { .record(["seq": .uint(UInt64($0))]) }
    }

    @Test(.enabled(if: available)) func droppedRecordsAreLoggedOnceWithTheirCodes() async throws {
        let harness = try Harness(
            [("retries_on_batch_request", "1"), ("drop_failed_records_after_batch_request_retries", "true")],
            endpointArguments: ["--fail-fraction", "1.0"])
        defer { harness.endpoint.stop() }
        guard case .delivered = await harness.sender.send(makeChunk(Self.records(5))) else {
            Issue.record("expected .delivered")
            return
        }
        let retries = harness.log.events(.warning, "Kinesis did not take some records; retrying them")
        #expect(retries.count == 1)
        #expect(retries.first?["retry"] == "1" && retries.first?["failed"] == "5")
        #expect(retries.first?["error_code"] == "ProvisionedThroughputExceededException")
        let dropped = harness.log.events(.error, "Records dropped after batch request retries (drop_failed_records_after_batch_request_retries)")
        #expect(dropped.count == 1)
        #expect(dropped.first?["records"] == "5" && dropped.first?["errors"] == "ProvisionedThroughputExceededException x5")
        #expect(dropped.first?["kinesis.stream"] == "logs")
    }

    @Test(.enabled(if: available)) func aRejectedRequestIsLoggedOnceAsAnError() async throws {
        let harness = try Harness(endpointArguments: ["--streams", "other"])
        defer { harness.endpoint.stop() }
        guard case .rejected = await harness.sender.send(makeChunk(Self.records(3))) else {
            Issue.record("expected .rejected")
            return
        }
        let rejected = harness.log.events(.error, "Kinesis request rejected")
        #expect(rejected.count == 1)
        #expect(rejected.first?["error"].map { "\($0)".contains("ResourceNotFoundException") } == true)
        #expect(harness.log.events(.warning, "Kinesis request failed; the buffer will retry").isEmpty)
    }

    @Test(.enabled(if: available)) func anExpiredTokenIsRefreshedOnceAndSaidAtInfo() async throws {
        let harness = try Harness(endpointArguments: ["--expired-token-value", "old"], tokens: ["old", "new"])
        defer { harness.endpoint.stop() }
        guard case .delivered = await harness.sender.send(makeChunk(Self.records(4))) else {
            Issue.record("expected .delivered")
            return
        }
        #expect(harness.log.events(.info, "Credentials expired; refreshing and retrying").count == 1)
        #expect(try await harness.endpoint.records().count == 4)
    }

    /// A wait cut short (shutdown) ends that request's retries: its failed records go back to the buffer.
    @Test(.enabled(if: available)) func aCancelledWaitLeavesTheFailedRecordsToTheBuffer() async throws {
        let harness = try Harness(endpointArguments: ["--fail-fraction", "1.0"], clock: CancelledClock())
        defer { harness.endpoint.stop() }
        let result = await harness.sender.send(makeChunk(Self.records(6)))
        guard case .retry(let error) = result else {
            Issue.record("expected .retry, got \(result)")
            return
        }
        #expect(error.message == "6 records for stream 'logs' still failing after 8 batch retries (ProvisionedThroughputExceededException x6); left to the buffer's retry")
        // One request, no re-send after the cancelled wait.
        let log = try await harness.endpoint.stats()["requests_log"] as! [[String: Int]]
        #expect(log.map { $0["records"]! } == [6])
    }
}
