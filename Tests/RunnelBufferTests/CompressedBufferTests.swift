import Foundation
import Logging
import RunnelCompression
import RunnelCore
import Testing
import RunnelTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@testable import RunnelBuffer

/// `<buffer> compress gzip`: chunks are stored as gzip members, one per write, as Fluentd's
/// compressed chunks are (lib/fluent/plugin/buffer/chunk.rb, `concat` with `compress: :gzip`
/// appends one gzip member per write), and read back whole, torn or damaged.
@Suite struct CompressedBufferTests {
    func buffer(
        _ directory: TemporaryDirectory, _ sender: ScriptedSender, type: BufferConfiguration.StorageType = .file,
        logger: Logger = Logger(label: "test")
    ) throws -> BufferedOutput {
        var configuration = fileConfiguration(directory)
        configuration.type = type
        configuration.compress = .gzip
        return try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: logger, clock: ManualClock())
    }

    /// The staged chunk's file after three writes of 3, 3 and 1 events; and where each member starts.
    func compressedChunk(_ directory: TemporaryDirectory) async throws -> (path: String, bytes: [UInt8], memberStarts: [Int]) {
        let first = try buffer(directory, ScriptedSender())
        var starts: [Int] = []
        var path = ""
        for seqs in [0..<3, 3..<6, 6..<7] {
            try await first.emit(makeStream(seqs: seqs, padding: 200))
            let name = directory.files(in: "buffer").first { $0.hasPrefix("buffer.b") && $0.hasSuffix(".log") }!
            path = directory.path + "/buffer/" + name
            starts.append(try FileIO.readAll(path).count)
        }
        await first.shutdown()
        return (path, try FileIO.readAll(path), [0] + starts.dropLast())
    }

    @Test func chunksAreGzipMembersOnDiskAndDeliverTheSameEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (_, bytes, starts) = try await compressedChunk(directory)
        #expect(ChunkData.isCompressed(bytes))
        for start in starts { #expect(bytes[start] == 0x1f && bytes[start + 1] == 0x8b, "a member starts at \(start)") }
        let plain = [0..<3, 3..<6, 6..<7].reduce(0) { $0 + makeStream(seqs: $1, padding: 200).entries.count }
        #expect(bytes.count < plain / 2)  // the padding compresses well
        #expect(try Zlib.decompressGzip(bytes) == [0..<3, 3..<6, 6..<7].flatMap { makeStream(seqs: $0, padding: 200).entries })

        let sender = ScriptedSender()
        let second = try buffer(directory, sender)
        try await second.emit(makeStream(seqs: 7..<8, padding: 200))  // appends to the resumed chunk
        await second.flushNow()
        #expect(sender.accepted.withLock { $0 } == Array(0..<8))
        #expect(directory.files(in: "buffer").isEmpty)
    }

    @Test func memoryChunksAreCompressedToo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sender = ScriptedSender()
        let memory = try buffer(directory, sender, type: .memory)
        try await memory.emit(makeStream(seqs: 0..<5))
        try await memory.emit(makeStream(seqs: 5..<9))
        await memory.flushNow()
        #expect(sender.accepted.withLock { $0 } == Array(0..<9))
    }

    /// A crash in the middle of a write leaves a member cut short: the whole members before it are
    /// delivered, at every offset of the last member.
    @Test func tornLastMemberIsCutAtEveryOffset() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (path, bytes, starts) = try await compressedChunk(directory)
        let pristine = directory.path + "/pristine"
        try FileManager.default.copyItem(atPath: directory.path + "/buffer", toPath: pristine)
        for cut in starts[2]..<bytes.count {
            try? FileManager.default.removeItem(atPath: directory.path + "/buffer")
            try FileManager.default.copyItem(atPath: pristine, toPath: directory.path + "/buffer")
            #expect(truncate(path, off_t(cut)) == 0)
            let (logger, log) = recordingLogger()
            let sender = ScriptedSender()
            let buffer = try buffer(directory, sender, logger: logger)
            await buffer.flushNow()
            #expect(sender.accepted.withLock { $0 } == Array(0..<6), "cut at \(cut)")
            #expect(log.count(.warning, containing: "torn write") == (cut == starts[2] ? 0 : 1), "cut at \(cut)")
            #expect(log.count(.error, containing: "") == 0)
        }
    }

    /// A damaged member (not a crash): the members before it are delivered, the file is kept as `*.broken`.
    @Test func damagedMemberKeepsTheWholeMembersAndACopy() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (path, bytes, starts) = try await compressedChunk(directory)
        var damaged = bytes
        damaged[starts[1] + 12] ^= 0xff  // inside the second member's deflate data
        damaged[starts[1] + 13] ^= 0xff
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let (logger, log) = recordingLogger()
        let sender = ScriptedSender()
        let buffer = try buffer(directory, sender, logger: logger)
        await buffer.flushNow()
        #expect(sender.accepted.withLock { $0 } == Array(0..<3))
        #expect(try FileIO.readAll(path + ".broken") == damaged)
        #expect(log.count(.error, containing: "*.broken") == 1)
    }

    /// A chunk written before `compress gzip` was set is read as it is, and the other way round.
    @Test func changingCompressKeepsOldChunksReadable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = try BufferedOutput(
            name: "out", configuration: fileConfiguration(directory), sender: ScriptedSender(), logger: Logger(label: "t"), clock: ManualClock())
        try await plain.emit(makeStream(tag: "plain", seqs: 0..<3))
        await plain.shutdown()
        let sender = ScriptedSender()
        let compressed = try buffer(directory, sender)
        try await compressed.emit(makeStream(tag: "gz", seqs: 3..<5))
        await compressed.flushNow()
        #expect(sender.accepted.withLock { $0 }.sorted() == Array(0..<5))
    }
}
