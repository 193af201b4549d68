import Foundation
import Logging
import RunnelCore
import RunnelParsers
import RunnelTestSupport
import Testing
@testable import RunnelTail

/// `TailWatcher` against real files with an injected clock: the interleavings that lost lines
/// under load, replayed without sleeping.
struct TailWatcherTests {
    func makeWatcher(_ dir: TemporaryDirectory, path: String, readLinesLimit: Int = 7) -> TailWatcher {
        var configuration = testConfiguration(dir, paths: [path])
        configuration.readLinesLimit = readLinesLimit
        return TailWatcher(
            path: path, start: .head, configuration: configuration, parser: NoneParser(),
            logger: Logger(label: "tail-test"), unmatched: LogRateLimiter())
    }

    func messages(_ result: TailWatcher.PollResult) throws -> [String] {
        try result.streams.flatMap { try $0.decodedEntries().compactMap { $0.record["message"]?.stringValue } }
    }

    /// Polls like `TailLoop.drain`: again while the batch stopped at read_lines_limit.
    func drain(_ watcher: TailWatcher, now: Double) throws -> [String] {
        var out: [String] = []
        while true {
            let result = watcher.poll(now: now, eventTime: EventTime(seconds: 0, nanoseconds: 0))
            out += try messages(result)
            if !result.more { return out }
        }
    }

    /// The poll after the one that noticed a rename rotation came later than rotate_wait (a
    /// stalled machine): the old file's unread lines must still be read before it is closed. They
    /// used to be dropped: the state machine forgot the file's offset before the watcher's final
    /// read and drain, so both read nothing and the descriptor was closed.
    @Test func rotatedFileIsDrainedWhenThePollComesAfterRotateWait() throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        let watcher = makeWatcher(dir, path: log)
        try appendLines("x", 0..<48, to: log)
        var got = try messages(watcher.poll(now: 0, eventTime: EventTime(seconds: 0, nanoseconds: 0)))
        #expect(got == lines("x", 0..<7))
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try appendLines("x", 48..<79, to: log)
        // Rotation seen: one batch from the old file (read_lines_limit 7), then the machine stalls.
        got += try messages(watcher.poll(now: 1, eventTime: EventTime(seconds: 0, nanoseconds: 0)))
        #expect(got == lines("x", 0..<14))
        // The next poll is long past rotate_wait (0.5 s).
        got += try drain(watcher, now: 10)
        #expect(got == lines("x", 0..<79))
        #expect(watcher.openIdentities == [FileStatus.of(path: log)!.identity])
        #expect(watcher.descriptors.count == 1)
        // in_tail's counters: two files opened, the rotated one closed after rotate_wait.
        #expect(watcher.counters.opened == 2 && watcher.counters.rotated == 1 && watcher.counters.closed == 1)
        #expect(watcher.counters.throttled == 0)
    }

    @Test func readBytesLimitCountsThrottledReads() throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        var configuration = testConfiguration(dir, paths: [log])
        configuration.readBytesLimitPerSecond = 8192
        let watcher = TailWatcher(
            path: log, start: .head, configuration: configuration, parser: NoneParser(),
            logger: Logger(label: "tail-test"), unmatched: LogRateLimiter())
        try appendLines(String(repeating: "y", count: 100), 0..<200, to: log)
        _ = watcher.poll(now: 0, eventTime: EventTime(seconds: 0, nanoseconds: 0))
        #expect(watcher.counters.opened == 1 && watcher.counters.throttled == 1)
    }

    /// Same, with the rotation noticed in time but the next poll late, and a second rotation
    /// deleting the first rotated file meanwhile (logrotate with `rotate 1`): the open descriptor
    /// keeps the deleted file readable, and it is read to its end.
    @Test func rotatedAndDeletedFileIsDrainedAfterRotateWait() throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        let watcher = makeWatcher(dir, path: log)
        try appendLines("x", 0..<48, to: log)
        var got = try messages(watcher.poll(now: 0, eventTime: EventTime(seconds: 0, nanoseconds: 0)))
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try appendLines("x", 48..<79, to: log)
        // Rotation seen: one batch from the old file, then the machine stalls.
        got += try messages(watcher.poll(now: 1, eventTime: EventTime(seconds: 0, nanoseconds: 0)))
        #expect(got == lines("x", 0..<14))
        try FileManager.default.removeItem(atPath: log + ".1")
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try appendLines("x", 79..<97, to: log)
        got += try drain(watcher, now: 10)
        got += try drain(watcher, now: 20)
        #expect(got == lines("x", 0..<97))
        #expect(watcher.descriptors.count == 1)
    }

    /// A file moved away and back is read on from where it was, once, and its descriptor is not
    /// closed when the rotate_wait it started while away runs out.
    @Test func fileMovedAwayAndBackIsReadOnceAndKeptOpen() throws {
        let dir = try TemporaryDirectory()
        let log = dir.path + "/app.log"
        let watcher = makeWatcher(dir, path: log)
        try appendLines("x", 0..<5, to: log)
        var got = try drain(watcher, now: 0)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".tmp")
        got += try drain(watcher, now: 1)
        try appendLines("x", 5..<10, to: log + ".tmp")
        try FileManager.default.moveItem(atPath: log + ".tmp", toPath: log)
        got += try drain(watcher, now: 1.2)
        try appendLines("x", 10..<15, to: log)
        got += try drain(watcher, now: 10)
        #expect(got == lines("x", 0..<15))
        #expect(watcher.descriptors.count == 1)
    }
}
