import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import RunnelTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import RunnelFilters

/// concat and detect_exceptions run as services: what they hold is sent on at graceful shutdown,
/// and detect_exceptions sends a held trace after multiline_flush_interval.
@Suite struct HoldingPluginTests {
    /// Runs `service` in a ServiceGroup, calls `body`, then shuts the group down gracefully.
    func running(_ service: any Service, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func concatSendsWhatItHoldsAtShutdown() async throws {
        let timeout = CaptureOutput()
        var configuration = ConcatConfiguration(key: "message", mode: .partialCRI(logtagKey: "logtag"))
        configuration.separator = ""
        let filter = ConcatFilter(configuration: configuration, timeoutSink: timeout, logger: Logger(label: "test"))
        try await running(filter) {
            let out = try filter.filter(stream(tag: "k8s", [.record(["message": "part ", "logtag": "P", "stream": "stdout"])]))
            #expect(out.isEmpty)
        }
        #expect(timeout.records == [.record(["message": "part ", "logtag": "P", "stream": "stdout"])])
        #expect(timeout.tags == ["k8s"])
    }

    @Test func detectExceptionsFlushesAfterTheIntervalAndAtShutdown() async throws {
        let root = try ConfigParser.parse(
            text: "<match raw.**>\n@type detect_exceptions\nremove_tag_prefix raw\nmultiline_flush_interval 0.5\n</match>", file: "test.conf",
            environment: [:])
        let sink = CaptureOutput()
        let output = try DetectExceptionsOutput(root.elements(named: "match")[0], router: sink, logger: Logger(label: "test"))
        let trace = DetectExceptionsTests.lines(DetectExceptionsTests.java)
        try await running(output) {
            try await output.emit(stream(tag: "raw.app", trace.map { .record(["message": .string($0)]) }))
            #expect(sink.records.isEmpty)
            // Checked every second at the most often; the trace is sent once 0.5 s have passed.
            let seen = try await polled(timeout: 120, { sink.records }, until: { !$0.isEmpty })
            #expect(seen == [.record(["message": .string(DetectExceptionsTests.java)])])
            try await output.emit(stream(tag: "raw.app", [.record(["message": "java.lang.IllegalStateException: again\n"])]))
        }
        #expect(sink.records.count == 2)
        #expect(sink.records.last == .record(["message": "java.lang.IllegalStateException: again\n"]))
        #expect(sink.tags == ["app", "app"])
    }
}
