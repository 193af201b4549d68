import Foundation
import Logging
import RunnelCore
import RunnelTestSupport
import Testing

@testable import RunnelBuffer

/// Delivery progress is the chunk's metadata, rewritten after each answer (tmp + rename). A crash
/// may leave the metadata cut at any byte (a damaged disk) or a temporary file cut at any byte
/// (a crash during the write): recovery never loses an undelivered entry, and keeps the progress
/// whenever the whole metadata survived.
@Suite struct ProgressRecoveryTests {
    struct Saved {
        var dataName: String
        var data: Data
        var metaName: String
        var meta: Data
    }

    /// A queued chunk of 8 entries whose even ones (seq 0, 2, 4, 6) were accepted, as files.
    static func chunkWithProgress(_ directory: TemporaryDirectory) async throws -> Saved {
        var configuration = fileConfiguration(directory)
        configuration.chunkLimitRecords = 8
        let buffer = try BufferedOutput(
            name: "out", configuration: configuration, sender: ScriptedSender([.acceptEveryOther]), logger: Logger(label: "t"),
            clock: ManualClock())
        try await buffer.emit(makeStream(seqs: 0..<8))
        await buffer.flushNow()
        await buffer.shutdown()
        let files = directory.files(in: "buffer")
        let dataName = try #require(files.first { $0.hasPrefix("buffer.q") && $0.hasSuffix(".log") })
        let metaName = dataName + ".meta"
        let meta = try Data(contentsOf: URL(fileURLWithPath: directory.path("buffer/" + metaName)))
        let record = try ChunkMetaRecord(decoding: Array(meta), path: metaName)
        #expect(record.delivered == EntrySet([0, 2, 4, 6]))
        return Saved(
            dataName: dataName, data: try Data(contentsOf: URL(fileURLWithPath: directory.path("buffer/" + dataName))),
            metaName: metaName, meta: meta)
    }

    /// What a restart on these files delivers.
    static func restart(_ directory: TemporaryDirectory) async throws -> [Int] {
        let sender = ScriptedSender()
        let buffer = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory), sender: sender, logger: Logger(label: "t"), clock: ManualClock())
        await buffer.flushNow()
        await buffer.shutdown()
        return sender.accepted.withLock { $0 }.sorted()
    }

    static func lay(_ directory: TemporaryDirectory, _ files: [(String, Data)]) throws {
        let folder = directory.path("buffer")
        for name in directory.files(in: "buffer") { try FileManager.default.removeItem(atPath: folder + "/" + name) }
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: folder + "/" + name)) }
    }

    @Test func metadataCutAtEveryByteLosesNoUndeliveredEntry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let saved = try await Self.chunkWithProgress(directory)
        for cut in 0...saved.meta.count {
            try Self.lay(directory, [(saved.dataName, saved.data), (saved.metaName, saved.meta.prefix(cut))])
            let delivered = try await Self.restart(directory)
            if cut == saved.meta.count {
                #expect(delivered == [1, 3, 5, 7], "whole metadata at \(cut)")
            } else {
                // The progress is gone with the metadata (rebuilt from the data): everything again, nothing lost.
                #expect(delivered == Array(0..<8), "metadata cut at \(cut) of \(saved.meta.count)")
            }
            #expect(directory.files(in: "buffer").isEmpty, "files left after delivering, cut at \(cut)")
        }
    }

    @Test func aTornProgressWriteAtEveryByteKeepsTheLastWholeOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let saved = try await Self.chunkWithProgress(directory)
        // The write that would have recorded entry 1 as well, cut by a crash before its rename.
        var newer = try ChunkMetaRecord(decoding: Array(saved.meta), path: saved.metaName)
        newer.delivered.insert(1)
        let torn = Data(newer.encoded())
        for cut in 0..<torn.count {
            try Self.lay(
                directory, [(saved.dataName, saved.data), (saved.metaName, saved.meta), (saved.metaName + ".tmp", torn.prefix(cut))])
            let delivered = try await Self.restart(directory)
            #expect(delivered == [1, 3, 5, 7], "temporary metadata cut at \(cut) of \(torn.count)")
            #expect(directory.files(in: "buffer").isEmpty)
        }
    }
}
