import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelPipeline
import Testing

@testable import RunnelFilters

/// The filters chained as Kubernetes configurations chain them, through a built pipeline.
@Suite struct PipelineChainTests {
    /// A containerd log of a Java stack trace (each line CRI-framed, the long first line split in
    /// P parts): concat joins the parts, a second concat joins the trace's lines.
    @Test func criPartsThenJavaTrace() async throws {
        let harness = try Harness(
            """
            <filter kubernetes.**>
              @type concat
              key message
              use_partial_cri_logtag true
              partial_cri_logtag_key logtag
              partial_cri_stream_key stream
              stream_identity_key stream
              separator ""
            </filter>
            <filter kubernetes.**>
              @type concat
              key message
              multiline_start_regexp /^\\d{4}-\\d{2}-\\d{2} /
              separator "\\n"
            </filter>
            <match **>
              @type capture
            </match>
            """)
        let lines = [
            "2024-05-01T10:00:00.000000001Z stdout P 2024-05-01 10:00:00.123 ERROR 1 --- [nio-8080-exec-1] ",
            "2024-05-01T10:00:00.000000002Z stdout F o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception",
            "2024-05-01T10:00:00.000000003Z stdout F java.lang.NullPointerException: null",
            "2024-05-01T10:00:00.000000004Z stdout F \tat com.example.demo.DemoController.hello(DemoController.java:15)",
            "2024-05-01T10:00:00.000000005Z stdout F \t... 48 common frames omitted",
            "2024-05-01T10:00:01.000000001Z stdout F 2024-05-01 10:00:01.001 INFO 1 --- [nio-8080-exec-2] c.e.demo.DemoController : ok",
        ]
        try await harness.emit("kubernetes.var.log.containers.demo.log", ConcatTests.criRecords(lines))
        let messages = harness.out.records.map { $0["message"] }
        #expect(
            messages == [
                .string(
                    "2024-05-01 10:00:00.123 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\n"
                        + "java.lang.NullPointerException: null\n\tat com.example.demo.DemoController.hello(DemoController.java:15)\n"
                        + "\t... 48 common frames omitted")
            ])
        // The CRI concat deleted logtag and stream from what it joined; the time text stays.
        #expect(harness.out.records.first?["logtag"] == nil)
        #expect(harness.out.records.first?["time"] == "2024-05-01T10:00:00.000000001Z")
    }

    /// Without timeout_label, timed-out and remaining lines go to @ERROR, as emit_error_event does.
    @Test func heldLinesGoToTheErrorLabel() async throws {
        let harness = try Harness(
            """
            <filter app>
              @type concat
              key message
              n_lines 3
            </filter>
            <match **>
              @type capture
            </match>
            <label @ERROR>
              <match **>
                @type capture
                name error
              </match>
            </label>
            """, captureNames: ["out", "error"])
        try await harness.emit("app", [.record(["message": "a"]), .record(["message": "b"])])
        #expect(harness.out.records.isEmpty)
        let concat = try #require(harness.pipeline.filters.first?.plugin as? ConcatFilter)
        await concat.send(concat.state.withLock { $0.drain() })
        #expect(harness.captures["error"]!.records == [.record(["message": "a\nb"])])
        #expect(harness.captures["error"]!.tags == ["app"])
    }

    @Test func rewriteTagFilterRecordModeAndRemoveTagRegexp() async throws {
        let harness = try Harness(
            """
            <match raw.**>
              @type rewrite_tag_filter
              emit_mode record
              remove_tag_regexp /^raw\\.(v\\d\\.)?/
              <rule>
                key level
                pattern /^(\\w+)$/
                tag $1.${tag}
              </rule>
            </match>
            <match **>
              @type capture
            </match>
            """)
        try await harness.emit("raw.v2.app", [.record(["level": "info"]), .record(["level": "warn"]), .record(["level": "info"])])
        #expect(harness.out.tags == ["info.app", "warn.app", "info.app"])
        #expect(harness.out.received.withLock { $0.count } == 3)
    }

    @Test func concatBufferOverflowNewStartsAgain() throws {
        var configuration = ConcatConfiguration(key: "m", mode: .partial(key: "p", value: "true"))
        configuration.bufferLimitSize = 20
        configuration.overflowMethod = .new
        configuration.separator = ""
        var machine = ConcatStateMachine(configuration: configuration)
        var out: [MessagePackValue] = []
        for text in ["aaaa", "bbbb", "cccc"] {
            out += try machine.filter(tag: "t", time: EventTime(seconds: 1), record: .record(["m": .string(text), "p": "true"]), now: 0).map(\.record)
        }
        // Each record is 1 + 4 + 1 + 4 bytes: the third passes 20 and flushes the first two.
        #expect(out == [.record(["m": "aaaabbbb"])])
        #expect(machine.drain().map(\.record) == [.record(["m": "cccc", "p": "true"])])
    }

    @Test func detectExceptionsKeepsStreamsApart() async throws {
        let harness = try Harness(
            """
            <match raw.**>
              @type detect_exceptions
              remove_tag_prefix raw
              stream stream
            </match>
            <match **>
              @type capture
            </match>
            """)
        let trace = DetectExceptionsTests.lines(DetectExceptionsTests.python)
        var records: [MessagePackValue] = []
        for (index, line) in trace.enumerated() {
            records.append(.record(["log": .string(line), "stream": "stderr"]))
            if index == 2 { records.append(.record(["log": "interleaved stdout line\n", "stream": "stdout"])) }
        }
        records.append(.record(["log": "done\n", "stream": "stderr"]))
        try await harness.emit("raw.app", records)
        #expect(harness.out.records.map { $0["log"] } == ["interleaved stdout line\n", .string(DetectExceptionsTests.python), "done\n"])
    }
}
