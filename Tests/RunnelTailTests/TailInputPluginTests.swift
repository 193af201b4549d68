import Foundation
import RunnelConfig
import RunnelCore
import RunnelParsers
import RunnelTestSupport
import Testing
@testable import RunnelTail

@Suite(.serialized)
struct TailInputPluginTests {
    @Test func renameRotationWithDelaycompressDuringWriting() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try appendLines("a", 0..<50, to: log)
        let sink = CollectingSink()
        let tail = RunningTail(testConfiguration(dir, paths: [log]), sink: sink)
        // The tailer has the file open before the first rotation (no tailer reads a file rotated away unseen).
        _ = try await sink.wait { $0.count >= 50 }
        for chunk in stride(from: 50, to: 600, by: 50) {
            try appendLines("a", chunk..<(chunk + 50), to: log)
            if chunk == 200 || chunk == 400 {
                // logrotate with create + delaycompress: .1 is compressed away to .2.gz, the live file becomes .1.
                if FileManager.default.fileExists(atPath: log + ".1") {
                    try FileManager.default.moveItem(atPath: log + ".1", toPath: log + ".2")
                    try FileManager.default.removeItem(atPath: log + ".2")
                }
                try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
                _ = FileManager.default.createFile(atPath: log, contents: nil)
            }
            try await Task.sleep(for: .milliseconds(15))
        }
        let got = try await sink.wait { $0.count >= 600 }
        try await Task.sleep(for: .milliseconds(200))
        try await tail.stop()
        #expect(sink.messages == lines("a", 0..<600))
        #expect(got.count == 600)
    }

    @Test func copytruncate() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try appendLines("c", 0..<100, to: log)
        let sink = CollectingSink()
        let tail = RunningTail(testConfiguration(dir, paths: [log]), sink: sink)
        _ = try await sink.wait { $0.count >= 100 }
        // logrotate copytruncate: copy, then truncate in place (same inode).
        try FileManager.default.copyItem(atPath: log, toPath: log + ".1")
        try FileHandle(forWritingTo: URL(fileURLWithPath: log)).truncate(atOffset: 0)
        _ = try await sink.wait(timeout: 2) { _ in false }.count
        try appendLines("c", 100..<150, to: log)
        _ = try await sink.wait { $0.count >= 150 }
        try await tail.stop()
        #expect(sink.messages == lines("c", 0..<150))
    }

    @Test func restartResumesFromPosFileAndHoldsPartialLine() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try appendLines("r", 0..<100, to: log)
        let first = CollectingSink()
        var tail = RunningTail(testConfiguration(dir, paths: [log]), sink: first)
        _ = try await first.wait { $0.count >= 100 }
        try appendLines("r", 100..<150, to: log)
        try append("r-150-part", to: log)
        _ = try await first.wait { $0.count >= 150 }
        try await tail.stop()
        #expect(first.messages == lines("r", 0..<150))

        try appendLines("r", 151..<200, to: log.replacingOccurrences(of: "app.log", with: "other.log"))
        try append("ial\n", to: log)
        try appendLines("r", 151..<200, to: log)
        let second = CollectingSink()
        tail = RunningTail(testConfiguration(dir, paths: [log], readFromHead: false), sink: second)
        _ = try await second.wait { $0.count >= 50 }
        try await tail.stop()
        #expect(second.messages == ["r-150-partial"] + lines("r", 151..<200))
        let pos = try String(contentsOfFile: dir.path + "/tail.pos", encoding: .utf8)
        let size = try FileManager.default.attributesOfItem(atPath: log)[.size] as! Int
        let inode = try FileManager.default.attributesOfItem(atPath: log)[.systemFileNumber] as! Int
        #expect(pos == PosFileEntry(path: log, position: UInt64(size), inode: UInt64(inode)).line)
    }

    @Test func handWrittenFluentdPosFileIsHonoured() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try append("old-1\nold-2\nnew-1\n", to: log)
        let inode = try FileManager.default.attributesOfItem(atPath: log)[.systemFileNumber] as! Int
        let hexInode = String(inode, radix: 16)
        let pos =
            "\(log)\t000000000000000c\t\(String(repeating: "0", count: 16 - hexInode.count))\(hexInode)\n"
            + "/gone.log\tffffffffffffffff\t0000000000000001\n"
        try pos.write(toFile: dir.path + "/tail.pos", atomically: true, encoding: .utf8)
        let sink = CollectingSink()
        let tail = RunningTail(testConfiguration(dir, paths: [log], readFromHead: false), sink: sink)
        _ = try await sink.wait { $0.count >= 1 }
        try appendLines("new", 2..<4, to: log)
        _ = try await sink.wait { $0.count >= 3 }
        try await tail.stop()
        #expect(sink.messages == ["new-1", "new-2", "new-3"])
        let written = try String(contentsOfFile: dir.path + "/tail.pos", encoding: .utf8)
        #expect(written.hasPrefix("\(log)\t000000000000001e\t"))
        #expect(!written.contains("/gone.log"))
    }

    @Test func globPathAppearingLaterAndDeletionAndTag() async throws {
        let dir = try TemporaryDirectory()
        var configuration = testConfiguration(dir, paths: [dir.path + "/*.log"], readFromHead: false)
        configuration.excludePaths = [dir.path + "/skip*.log"]
        configuration.pathKey = "path"
        let sink = CollectingSink()
        let tail = RunningTail(configuration, sink: sink)
        // Files that appear after the first refresh are read from their head.
        try await tail.passCompleted()
        let later = dir.path + "/later.log"
        try appendLines("l", 0..<10, to: later)
        try appendLines("s", 0..<10, to: dir.path + "/skip-me.log")
        _ = try await sink.wait { $0.count >= 10 }
        try FileManager.default.removeItem(atPath: later)
        // After rotate_wait the deleted file is unwatched: Fluentd's ffffffffffffffff position.
        let deadline = Date().addingTimeInterval(10)
        var pos = ""
        while Date() < deadline {
            pos = (try? String(contentsOfFile: dir.path + "/tail.pos", encoding: .utf8)) ?? ""
            if pos.contains("\(later)\tffffffffffffffff\t") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await tail.stop()
        #expect(sink.messages == lines("l", 0..<10))
        #expect(pos.contains("\(later)\tffffffffffffffff\t"))
        let first = sink.events.withLock { $0.first }
        let expectedTag = "test" + "." + later.split(separator: "/").joined(separator: ".")
        #expect(first?.tag == expectedTag)
        #expect(first?.record["path"] == .string(later))
    }

    @Test func unmatchedLinesEmittedWhenAsked() async throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        try append("{\"a\":1}\nnot json\n", to: log)
        var configuration = testConfiguration(dir, paths: [log])
        configuration.emitUnmatchedLines = true
        let sink = CollectingSink()
        struct JSONBox: LineParserBox { var parser: any LineParser { JSONParser() } }
        let tail = RunningTail(configuration, sink: sink, parser: JSONBox())
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, sink.events.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
        try await tail.stop()
        #expect(sink.events.withLock { $0.map(\.record) } == [.record(["a": 1]), .record(["unmatched_line": "not json"])])
    }

    @Test func configurationReadsFluentdKeys() throws {
        let element = ConfigElement(
            "source", "",
            [
                "@type": "tail", "path": "/var/log/a.log, /var/log/b/*.log", "tag": "k8s.*", "pos_file": "/tmp/p",
                "read_from_head": "true", "refresh_interval": "10s", "rotate_wait": "1", "read_lines_limit": "50",
                "max_line_size": "1m", "follow_inodes": "true", "multiline_flush_interval": "5s",
            ])
        let c = try TailInputConfiguration(element)
        #expect(c.paths == ["/var/log/a.log", "/var/log/b/*.log"])
        #expect(c.readFromHead && c.followInodes)
        #expect(c.refreshInterval == 10 && c.rotateWait == 1 && c.readLinesLimit == 50 && c.maxLineSize == 1 << 20)
        #expect(c.tag(for: "/var/log/containers/x.log") == "k8s.var.log.containers.x.log")
        #expect(element.unusedParameters.isEmpty)
        #expect(throws: ConfigError.self) {
            try TailInputConfiguration(ConfigElement("source", "", ["path": "/a", "tag": "t", "enable_watch_timer": "false", "enable_stat_watcher": "false"]))
        }
        let defaults = try TailInputConfiguration(ConfigElement("source", "", ["path": "/a", "tag": "t"]))
        #expect(!defaults.readFromHead && defaults.refreshInterval == 60 && defaults.rotateWait == 5 && defaults.readLinesLimit == 1000)
    }
}
