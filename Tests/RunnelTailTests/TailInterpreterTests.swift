import Foundation
import RunnelTestSupport
import Testing
@testable import RunnelTail

/// Random write / rotate / copytruncate / restart sequences against one path, checked against the
/// lines written: every line arrives exactly once and in order (Vector's file source tests' idea).
@Suite(.serialized)
struct TailInterpreterTests {
    enum Action { case write(Int), rotateCreate, copytruncate, restart }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomActionsDeliverEveryLineOnce(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        var written = 0
        var writtenBeforeRotation = 0
        let sink = CollectingSink()
        var configuration = testConfiguration(dir, paths: [log])
        configuration.readLinesLimit = 7
        // The file exists and is watched before the first rotation: a file rotated away before the
        // tailer ever saw it is out of any tailer's reach.
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var tail = RunningTail(configuration, sink: sink)
        try await tail.passCompleted()
        var restarted = false

        func caughtUp() async throws {
            let target = written
            _ = try await sink.wait { $0.count >= target }
        }

        for _ in 0..<14 {
            let roll = Int.random(in: 0..<10, using: &rng)
            let action: Action =
                roll < 6
                ? .write(Int.random(in: 1..<40, using: &rng))
                : roll == 6 ? .rotateCreate : roll == 7 ? .copytruncate : roll == 8 ? .rotateCreate : .restart
            switch action {
            case .write(let count):
                try appendLines("x", written..<(written + count), to: log)
                written += count
            case .rotateCreate:
                // Deleting the last rotation loses what the tailer has not read of it, in any
                // tailer (under load a second rotation can come first): wait for those lines only,
                // so the current file still moves away with lines unread.
                let rotatedAway = writtenBeforeRotation
                _ = try await sink.wait { $0.count >= rotatedAway }
                writtenBeforeRotation = written
                try? FileManager.default.removeItem(atPath: log + ".1")
                if FileManager.default.fileExists(atPath: log) {
                    try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
                }
                _ = FileManager.default.createFile(atPath: log, contents: nil)
            case .copytruncate:
                try await caughtUp()
                try? FileManager.default.removeItem(atPath: log + ".1")
                if FileManager.default.fileExists(atPath: log) {
                    try FileManager.default.copyItem(atPath: log, toPath: log + ".1")
                    try FileHandle(forWritingTo: URL(fileURLWithPath: log)).truncate(atOffset: 0)
                }
                // Let the tailer see the shorter file before anything new is written.
                try await tail.passCompleted()
            case .restart:
                try await caughtUp()
                try await tail.stop()
                configuration.readFromHead = false
                tail = RunningTail(configuration, sink: sink)
                // Resumed from the pos_file before the next rotation can move the file away.
                try await tail.passCompleted()
                restarted = true
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<30, using: &rng)))
        }
        try await caughtUp()
        try await tail.stop()
        #expect(sink.messages == lines("x", 0..<written), "seed \(seed), restarted \(restarted)")
    }
}
