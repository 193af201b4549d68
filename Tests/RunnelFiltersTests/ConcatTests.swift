import Logging
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelPipeline
import RunnelTestSupport
import Synchronization
import Testing

@testable import RunnelFilters

/// fluent-plugin-concat's README configurations, fed real container log lines.
@Suite struct ConcatTests {
    func machine(_ body: String) throws -> ConcatStateMachine {
        let root = try ConfigParser.parse(text: "<filter **>\n@type concat\n\(body)\n</filter>", file: "test.conf", environment: [:])
        return ConcatStateMachine(configuration: try ConcatConfiguration(root.elements(named: "filter")[0]))
    }

    /// Records as the cri parser makes them from containerd's lines.
    static func criRecords(_ lines: [String]) -> [MessagePackValue] {
        var parser = CRIParser()
        var output = ParserOutput()
        for line in lines { _ = parser.parse(line, now: EventTime(seconds: 0), into: &output) }
        return output.decoded().map(\.record)
    }

    @Test func criPartialLinesAreJoined() throws {
        var concat = try machine(
            """
            key message
            use_partial_cri_logtag true
            partial_cri_logtag_key logtag
            partial_cri_stream_key stream
            separator ""
            """)
        let records = Self.criRecords([
            "2024-05-01T10:00:00.000000001Z stdout P {\"level\":\"info\",",
            "2024-05-01T10:00:00.000000002Z stderr F short error line",
            "2024-05-01T10:00:00.000000003Z stdout P \"msg\":\"a long\",",
            "2024-05-01T10:00:00.000000004Z stdout F \"n\":1}",
        ])
        #expect(records.count == 4)
        var out: [MessagePackValue] = []
        for record in records {
            out += try concat.filter(tag: "kubernetes.app", time: EventTime(seconds: 1), record: record, now: 0).map(\.record)
        }
        // The plugin keys streams by tag (and stream_identity_key), not by the CRI stream: the
        // stderr F line closes the stdout P line before it. Configurations add
        // stream_identity_key stream to keep them apart; see the next test.
        #expect(out.count == 2)
        #expect(out[0]["message"] == "{\"level\":\"info\",short error line")
        #expect(out[0]["stream"] == nil)
        #expect(out[0]["logtag"] == nil)
        #expect(out[1]["message"] == "\"msg\":\"a long\",\"n\":1}")
        #expect(!concat.isHolding)
    }

    @Test func criStreamsKeptApartWithStreamIdentityKey() throws {
        var concat = try machine(
            """
            key message
            use_partial_cri_logtag true
            partial_cri_logtag_key logtag
            stream_identity_key stream
            separator ""
            """)
        let records = Self.criRecords([
            "2024-05-01T10:00:00.1Z stdout P part one, ",
            "2024-05-01T10:00:00.2Z stderr F an error",
            "2024-05-01T10:00:00.3Z stdout F part two",
        ])
        var out: [MessagePackValue] = []
        for record in records {
            out += try concat.filter(tag: "kubernetes.app", time: EventTime(seconds: 1), record: record, now: 0).map(\.record)
        }
        #expect(out.map { $0["message"] } == ["an error", "part one, part two"])
    }

    /// A Java stack trace as a container writes it, one record per line (docker json-file's `log`).
    static let javaTrace = [
        "2024-05-01 10:00:00.123 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\n",
        "java.lang.NullPointerException: null\n",
        "\tat com.example.demo.DemoController.hello(DemoController.java:15)\n",
        "\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n",
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)\n",
        "\t... 48 common frames omitted\n",
        "2024-05-01 10:00:01.001 INFO 1 --- [nio-8080-exec-2] c.e.demo.DemoController : ok\n",
    ]

    @Test func multilineJavaTraceByStartRegexp() throws {
        var concat = try machine(
            """
            key log
            multiline_start_regexp /^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}/
            separator ""
            """)
        var out: [(time: EventTime, record: MessagePackValue)] = []
        for (index, line) in Self.javaTrace.enumerated() {
            let record: MessagePackValue = .record(["log": .string(line), "stream": "stdout"])
            out += try concat.filter(tag: "kubernetes.app", time: EventTime(seconds: UInt32(100 + index)), record: record, now: 0)
        }
        #expect(out.count == 1)
        #expect(out[0].record["log"] == .string(Self.javaTrace.dropLast().joined()))
        // Without use_first_timestamp the joined record has the time of the line that closed it.
        #expect(out[0].time == EventTime(seconds: 106))
        #expect(concat.isHolding)
        let rest = concat.drain()
        #expect(rest.map(\.record) == [.record(["log": .string(Self.javaTrace.last!), "stream": "stdout"])])
    }

    @Test(arguments: [
        // n_lines 3: every three records become one.
        ("n_lines 3", ["a", "b", "c", "d"], ["a\nb\nc"]),
        // A start line; lines before any start pass alone.
        ("multiline_start_regexp /^Start/", ["x", "Start 1", "y", "Start 2"], ["x", "Start 1\ny"]),
        // Start and end regexps.
        ("multiline_start_regexp /^Start/\nmultiline_end_regexp /^End/", ["Start", "mid", "End", "after"], ["Start\nmid\nEnd", "after"]),
        // continuous_line_regexp: a line that does not continue flushes and passes.
        ("multiline_start_regexp /^Start/\ncontinuous_line_regexp /^\\s+/", ["Start", "  more", "other"], ["Start\n  more", "other"]),
        // Only an end regexp: everything up to it is joined.
        ("multiline_end_regexp /\\.$/", ["one", "two."], ["one\ntwo."]),
    ])
    func readmeModes(body: String, lines: [String], expected: [String]) throws {
        var concat = try machine("key message\n\(body)")
        var out: [String] = []
        for line in lines {
            out += try concat.filter(tag: "t", time: EventTime(seconds: 1), record: .record(["message": .string(line)]), now: 0).compactMap {
                $0.record["message"]?.stringValue
            }
        }
        #expect(out == expected)
    }

    @Test func partialKeyAndDockerMetadata() throws {
        var partial = try machine("key message\npartial_key partial_message\npartial_value true\nseparator \"\"")
        var out: [MessagePackValue] = []
        for (text, flag) in [("a", "true"), ("b", "true"), ("c", "false")] {
            out += try partial.filter(
                tag: "t", time: EventTime(seconds: 1), record: .record(["message": .string(text), "partial_message": .string(flag)]), now: 0
            ).map(\.record)
        }
        #expect(out == [.record(["message": "abc"])])

        var metadata = try machine("key log\nuse_partial_metadata true\nseparator \"\"")
        out = []
        for (text, ordinal, last) in [("b", "2", "false"), ("a", "1", "false"), ("c", "3", "true")] {
            let record: MessagePackValue = .record([
                "log": .string(text), "partial_message": "true", "partial_id": "abc", "partial_ordinal": .string(ordinal), "partial_last": .string(last),
            ])
            out += try metadata.filter(tag: "t", time: EventTime(seconds: 1), record: record, now: 0).map(\.record)
        }
        #expect(out == [.record(["log": "abc"])])
    }

    @Test func timeoutFlushesQuietStreams() throws {
        var concat = try machine("key message\nmultiline_start_regexp /^S/\nflush_interval 5\nuse_first_timestamp true")
        _ = try concat.filter(tag: "t", time: EventTime(seconds: 10), record: .record(["message": "S1"]), now: 100)
        _ = try concat.filter(tag: "t", time: EventTime(seconds: 11), record: .record(["message": "more"]), now: 102)
        #expect(concat.expire(now: 106, wallNow: EventTime(seconds: 50)).isEmpty)
        let flushed = concat.expire(now: 107, wallNow: EventTime(seconds: 50))
        #expect(flushed == [.init(tag: "t", time: EventTime(seconds: 10), record: .record(["message": "S1\nmore"]), reason: "Timeout flush: t:default")])
        #expect(!concat.isHolding)
    }

    /// The running filter sends timed-out lines to `timeout_label`, and what it holds at shutdown too.
    @Test func timeoutLabelReceivesFlushedLines() async throws {
        let timeout = CaptureOutput()
        let clock = Mutex<Double>(0)
        var configuration = ConcatConfiguration(key: "message", mode: .regexp)
        configuration.startRegexp = try RubyRegex(pattern: "^S", flags: [])
        configuration.flushInterval = 5
        let filter = ConcatFilter(
            configuration: configuration, timeoutSink: timeout, logger: Logger(label: "test"), clock: { clock.withLock { $0 } },
            checkInterval: .milliseconds(10))
        let passed = try filter.filter(stream(tag: "app", [.record(["message": "S1"]), .record(["message": "tail"])]))
        #expect(try records(passed).isEmpty)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await filter.run() }
            clock.withLock { $0 = 6 }
            let seen = try await polled(timeout: 120, { timeout.records }, until: { !$0.isEmpty })
            #expect(seen == [.record(["message": "S1\ntail"])])
            _ = try filter.filter(stream(tag: "app", [.record(["message": "S2"])]))
            group.cancelAll()
        }
        #expect(timeout.records == [.record(["message": "S1\ntail"]), .record(["message": "S2"])])
    }

    @Test(arguments: [
        ("", "key"),
        (
            "key message",
            "Either n_lines, multiline_start_regexp, multiline_end_regexp, partial_key, use_partial_metadata or use_partial_cri_logtag is required"
        ),
        ("key message\nn_lines 2\nmultiline_start_regexp /a/", "exclusive"),
        ("key message\npartial_key p", "partial_value is required"),
        ("key message\nuse_partial_cri_logtag true", "partial_cri_logtag_key"),
        ("key message\nmultiline_start_regexp ^Start", "between slashes"),
        ("key message\nn_lines 2\ntimeout_label @NOPE", "@NOPE"),
        ("key message\nuse_partial_metadata true\npartial_metadata_format docker", "partial_metadata_format"),
    ])
    func configurationErrors(body: String, message: String) {
        let error = configError("<filter **>\n@type concat\n\(body)\n</filter>\n<match **>\n@type capture\n</match>")
        #expect(error.contains(message), "\(error)")
        #expect(error.contains("test.conf"), "\(error)")
    }
}
