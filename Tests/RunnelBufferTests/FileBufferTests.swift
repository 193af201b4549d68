import Foundation
import Logging
import RunnelCore
import Testing
import RunnelTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@testable import RunnelBuffer

@Suite struct FileBufferTests {
    func fileBuffer(
        _ directory: TemporaryDirectory, _ sender: ScriptedSender, logger: Logger = Logger(label: "test"),
        _ change: (inout BufferConfiguration) -> Void = { _ in }
    ) throws -> BufferedOutput {
        var configuration = fileConfiguration(directory)
        change(&configuration)
        return try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: logger, clock: ManualClock())
    }

    @Test func filesAreNamedAsFluentdNamesThem() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try fileBuffer(directory, ScriptedSender()) { $0.chunkLimitRecords = 5 }
        try await buffer.emit(makeStream(seqs: 0..<7))
        let files = directory.files(in: "buffer")
        #expect(files.filter { $0.hasPrefix("buffer.q") && $0.hasSuffix(".log") }.count == 1)
        #expect(files.filter { $0.hasPrefix("buffer.q") && $0.hasSuffix(".log.meta") }.count == 1)
        #expect(files.filter { $0.hasPrefix("buffer.b") && $0.hasSuffix(".log") }.count == 1)
        #expect(files.filter { $0.hasPrefix("buffer.b") && $0.hasSuffix(".log.meta") }.count == 1)
        #expect(files.allSatisfy { $0.range(of: #"^buffer\.[bq][0-9a-f]{32}\.log(\.meta)?$"#, options: .regularExpression) != nil })
    }

    @Test func restartResumesStagedAndQueuedChunks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try fileBuffer(directory, ScriptedSender()) { $0.chunkLimitRecords = 5 }
        try await first.emit(makeStream(seqs: 0..<7))
        try await first.emit(makeStream(tag: "b", seqs: 7..<9))
        await first.shutdown()

        let sender = ScriptedSender()
        let second = try fileBuffer(directory, sender) { $0.chunkLimitRecords = 5 }
        try await second.emit(makeStream(seqs: 9..<10))  // continues the staged chunk of its tag
        #expect(second.status.stageLength == 2 && second.status.queueLength == 1)
        await second.flushNow()
        let attempts = sender.attempts.withLock { $0 }
        #expect(attempts.first?.pending == Array(0..<5))  // queued chunks first
        #expect(Set(attempts.map(\.pending)) == [Array(0..<5), [5, 6, 9], [7, 8]])
        #expect(attempts.first { $0.pending == [7, 8] }?.metadata.tag == "b")
        #expect(directory.files(in: "buffer").isEmpty)
    }

    @Test func deliveryProgressSurvivesARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try fileBuffer(directory, ScriptedSender([.acceptEveryOther]))
        try await first.emit(makeStream(seqs: 0..<6))
        await first.flushNow()
        await first.shutdown()
        let sender = ScriptedSender()
        let second = try fileBuffer(directory, sender)
        await second.flushNow()
        #expect(sender.attempts.withLock { $0.map(\.pending) } == [[1, 3, 5]])
    }

    @Test func durableBufferSurvivesRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try fileBuffer(directory, ScriptedSender()) { $0.durable = true }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask { try await first.emit(makeStream(seqs: (lane * 10)..<(lane * 10 + 10))) }
            }
            try await group.waitForAll()
        }
        let sender = ScriptedSender()
        let second = try fileBuffer(directory, sender) { $0.durable = true }
        await second.flushNow()
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(0..<80))
    }

    /// Writes `count` entries to a staged chunk, then returns the data file's path and bytes.
    func stagedChunk(_ directory: TemporaryDirectory, count: Int) async throws -> (path: String, bytes: [UInt8], entryStart: Int) {
        let buffer = try fileBuffer(directory, ScriptedSender())
        try await buffer.emit(makeStream(seqs: 0..<(count - 1)))
        try await buffer.emit(makeStream(seqs: (count - 1)..<count, padding: 40))
        await buffer.shutdown()
        let name = directory.files(in: "buffer").first { $0.hasPrefix("buffer.b") && $0.hasSuffix(".log") }!
        let path = directory.path + "/buffer/" + name
        let bytes = try FileIO.readAll(path)
        let last = makeStream(seqs: (count - 1)..<count, padding: 40).entries.count
        return (path, bytes, bytes.count - last)
    }

    @Test func tornLastEntryIsCutAtEveryOffset() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (path, bytes, lastStart) = try await stagedChunk(directory, count: 4)
        let pristine = directory.path + "/pristine"
        try FileManager.default.copyItem(atPath: directory.path + "/buffer", toPath: pristine)
        for cut in lastStart..<bytes.count {
            try? FileManager.default.removeItem(atPath: directory.path + "/buffer")
            try FileManager.default.copyItem(atPath: pristine, toPath: directory.path + "/buffer")
            #expect(truncate(path, off_t(cut)) == 0)
            let (logger, log) = recordingLogger()
            let sender = ScriptedSender()
            let buffer = try fileBuffer(directory, sender, logger: logger)
            await buffer.flushNow()
            #expect(sender.accepted.withLock { $0 } == [0, 1, 2], "cut at \(cut)")
            let warnings = log.count(.warning, containing: "torn write")
            #expect(warnings == (cut == lastStart ? 0 : 1), "cut at \(cut)")
            #expect(log.count(.error, containing: "") == 0)
        }
    }

    @Test(arguments: ["garbage", "missing", "truncated", "empty"])
    func damagedMetadataIsRebuiltFromData(damage: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var keys = ChunkKeys(tag: true, recordKeys: ["pad"])
        keys.time = .init(period: 3600, useUTC: true)
        let first = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory, keys: keys), sender: ScriptedSender(),
            logger: Logger(label: "t"), clock: ManualClock())
        try await first.emit(makeStream(seqs: 0..<5))
        await first.shutdown()
        let meta = directory.path + "/buffer/" + directory.files(in: "buffer").first { $0.hasSuffix(".meta") }!
        switch damage {
        case "garbage": try Data("not a meta file at all".utf8).write(to: URL(fileURLWithPath: meta))
        case "missing": unlink(meta)
        case "truncated": #expect(truncate(meta, 20) == 0)
        default: #expect(truncate(meta, 0) == 0)
        }
        let (logger, log) = recordingLogger()
        let sender = ScriptedSender()
        let second = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory, keys: keys), sender: sender, logger: logger, clock: ManualClock())
        await second.flushNow()
        #expect(sender.accepted.withLock { $0 } == [0, 1, 2, 3, 4])
        let metadata = sender.attempts.withLock { $0.first?.metadata }
        #expect(metadata?.variables["pad"] == String(repeating: "p", count: 20))
        #expect(metadata?.timekey == 1_700_000_000 - 1_700_000_000 % 3600)
        #expect(log.count(.warning, containing: "rebuilt") == 1)
    }

    @Test func unreadableDataIsSetAsideAndStartupContinues() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try fileBuffer(directory, ScriptedSender())
        try await first.emit(makeStream(seqs: 0..<3))
        await first.shutdown()
        // A data file that cannot be read: a directory where the file should be.
        let unreadable = directory.path + "/buffer/buffer.q00000000000000000000000000000001.log"
        try FileManager.default.createDirectory(atPath: unreadable, withIntermediateDirectories: false)
        let (logger, log) = recordingLogger()
        let sender = ScriptedSender()
        let second = try fileBuffer(directory, sender, logger: logger)
        await second.flushNow()
        #expect(sender.accepted.withLock { $0 } == [0, 1, 2])
        #expect(FileManager.default.fileExists(atPath: unreadable + ".broken"))
        #expect(log.count(.error, containing: "*.broken") == 1)
    }

    @Test func corruptionInTheMiddleKeepsTheWholeEntriesAndACopy() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (path, bytes, _) = try await stagedChunk(directory, count: 4)
        let one = makeStream(seqs: [0]).entries.count
        var damaged = bytes
        damaged[one * 2] = 0xc1  // never used by MessagePack
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let (logger, log) = recordingLogger()
        let sender = ScriptedSender()
        let buffer = try fileBuffer(directory, sender, logger: logger)
        await buffer.flushNow()
        #expect(sender.accepted.withLock { $0 } == [0, 1])
        #expect(try FileIO.readAll(path + ".broken") == damaged)
        #expect(log.count(.error, containing: "*.broken") == 1)
    }

    @Test func permissionsComeFromParameters() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try fileBuffer(directory, ScriptedSender()) {
            $0.filePermission = 0o600
            $0.dirPermission = 0o700
        }
        try await buffer.emit(makeStream(seqs: 0..<3))
        var info = stat()
        #expect(stat(directory.path + "/buffer", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        for name in directory.files(in: "buffer") {
            #expect(stat(directory.path + "/buffer/" + name, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "\(name)")
        }
    }

    @Test func leftoversAreCleanedUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try fileBuffer(directory, ScriptedSender())
        try await first.emit(makeStream(seqs: 0..<3))
        await first.shutdown()
        let dir = directory.path + "/buffer/"
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "buffer.q0000000000000000000000000000000a.log.meta"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "buffer.b0000000000000000000000000000000b.log.meta.tmp"))
        let buffer = try fileBuffer(directory, ScriptedSender())
        await buffer.flushNow()
        #expect(directory.files(in: "buffer").isEmpty)
    }
}
