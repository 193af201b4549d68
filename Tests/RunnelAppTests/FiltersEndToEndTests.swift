import Foundation
import RunnelTestSupport
import Testing

/// The runnel executable tails a containerd log; concat joins CRI parts, detect_exceptions joins a
/// Java trace, rewrite_tag_filter retags, and at SIGTERM the part still held reaches @ERROR
/// before the outputs stop.
@Suite(.serialized) struct FiltersEndToEndTests {
    @Test func containerLogThroughTheFilters() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-filters-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let log = work.appendingPathComponent("demo.log")
        let lines = [
            "2024-05-01T10:00:00.000000001Z stdout P java.lang.IllegalStateException: ",
            "2024-05-01T10:00:00.000000002Z stdout F boom",
            "2024-05-01T10:00:00.000000003Z stdout F \tat com.example.Demo.run(Demo.java:10)",
            "2024-05-01T10:00:00.000000004Z stdout F \tat com.example.Main.main(Main.java:5)",
            "2024-05-01T10:00:00.000000005Z stdout F server ready",
            "2024-05-01T10:00:00.000000006Z stdout P held until shutdown",
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let config = work.appendingPathComponent("runnel.conf")
        try """
        <source>
          @type tail
          path \(log.path)
          pos_file \(work.path)/demo.pos
          tag raw.demo
          read_from_head true
          <parse>
            @type cri
          </parse>
        </source>
        <filter raw.**>
          @type concat
          key message
          use_partial_cri_logtag true
          partial_cri_logtag_key logtag
          separator ""
        </filter>
        <match raw.**>
          @type detect_exceptions
          remove_tag_prefix raw
          message message
        </match>
        <match demo>
          @type rewrite_tag_filter
          <rule>
            key message
            pattern /Exception/
            tag exceptions.${tag}
          </rule>
          <rule>
            key message
            pattern /.+/
            tag lines.${tag}
          </rule>
        </match>
        <match exceptions.** lines.**>
          @type stdout
        </match>
        <label @ERROR>
          <match **>
            @type stdout
          </match>
        </label>
        """.write(to: config, atomically: true, encoding: .utf8)

        let runnel = try TestProcess(Paths.runnel, ["-c", config.path])
        defer { Task { await runnel.stop() } }
        // concat deletes logtag and stream (partial_cri_stream_key) from what it joins.
        let joined =
            #"exceptions.demo: {"message":"java.lang.IllegalStateException: boom\tat com.example.Demo.run(Demo.java:10)\tat com.example.Main.main(Main.java:5)","time""#
        try await waitUntil("the joined trace and the next line are printed") {
            runnel.log.contains(joined) && runnel.log.contains(#"lines.demo: {"message":"server ready""#)
        }
        #expect(!runnel.log.contains("held until shutdown"))
        runnel.signal(SIGTERM)
        let status = await runnel.wait(seconds: 30)
        #expect(status == 0, "\(runnel.log)")
        #expect(runnel.log.contains(#"raw.demo: {"stream":"stdout","logtag":"P","message":"held until shutdown""#), "\(runnel.log)")
    }
}
