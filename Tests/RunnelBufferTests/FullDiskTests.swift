import Foundation
import Logging
import RunnelCore
import RunnelPipeline
import Testing
import RunnelTestSupport

#if canImport(Glibc)
    import Glibc
#endif

@testable import RunnelBuffer

/// A real file system that runs out of space: a 256 KiB tmpfs (needs root with CAP_SYS_ADMIN,
/// as in the CI container; skipped elsewhere).
struct TinyDisk {
    let path: String

    /// Whether this process may mount a tmpfs, found by mounting and unmounting one.
    static let available: Bool = {
        guard let directory = try? TemporaryDirectory() else { return false }
        defer { directory.remove() }
        guard mount("tmpfs", directory.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(directory.path, Int32(MNT_DETACH))
        return true
    }()

    init(at path: String, kilobytes: Int) throws {
        self.path = path
        mkdir(path, 0o755)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(kilobytes)k,mode=0755") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
    }

    func unmount() { umount2(path, Int32(MNT_DETACH)) }

    /// Writes `bytes` zeros to a file (to take space the test can give back).
    func ballast(_ name: String, bytes: Int) throws {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        try FileIO.writeAll(fd, [UInt8](repeating: 0, count: bytes), path: name)
    }
}

@Suite struct FullDiskTests {
    @Test(.enabled(if: TinyDisk.available, "mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN); the full-disk test is skipped"))
    func fullDiskRefusesTheEmitAndKeepsAcknowledgedData() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let disk = try TinyDisk(at: directory.path + "/disk", kilobytes: 256)
        defer { disk.unmount() }
        try disk.ballast("ballast", bytes: 96 * 1024)

        var configuration = BufferConfiguration(type: .file, chunkKeys: ChunkKeys(tag: true))
        configuration.path = disk.path + "/buffer"
        configuration.chunkLimitRecords = 100
        configuration.retry.randomize = false
        configuration.retry.forever = true
        let (logger, log) = recordingLogger()
        let sender = ScriptedSender()
        var buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: logger, clock: ManualClock())

        // Fill the disk: every emit that returned is acknowledged; the first refused one must say why.
        var acked: [Int] = []
        var refused: [Int] = []
        var next = 0
        var refusal: (any Error)?
        for _ in 0..<500 {
            let seqs = Array(next..<(next + 20))
            next += 20
            do {
                try await buffer.emit(makeStream(tag: next % 40 == 0 ? "a" : "b", seqs: seqs, padding: 200))
                acked += seqs
            } catch {
                refused += seqs
                refusal = error
                break
            }
        }
        guard let refusal else {
            Issue.record("the 256 KiB disk never filled")
            return
        }
        // Forward does not acknowledge a retryable error: the client sends the events again.
        #expect(
            (refusal as? PipelineError).map { error -> Bool in
                if case .bufferOverflow = error { return error.isRetryable }
                return false
            } == true, "\(refusal)")
        #expect(log.count(.error, containing: "could not write to the buffer") >= 1)
        #expect(log.count(.error, containing: "No space left on device") >= 1, "\(log.entries.map(\.text))")
        #expect(acked.count >= 100, "the disk should take some events first")

        // Still full: more emits are refused, nothing crashes, and a flush that cannot save its
        // progress keeps going (the progress stays in memory).
        for _ in 0..<3 {
            let seqs = Array(next..<(next + 20))
            next += 20
            await #expect(throws: PipelineError.self) { try await buffer.emit(makeStream(tag: "b", seqs: seqs, padding: 200)) }
            refused += seqs
        }
        let queued = buffer.status.queueLength
        sender.script([.acceptEveryOther] + Array(repeating: .retry, count: queued + buffer.status.stageLength))
        await buffer.flushNow()
        sender.answers.withLock { $0.removeAll() }
        let acceptedWhileFull = Set(sender.accepted.withLock { $0 })

        // A restart while the disk is still full must resume every chunk, not set any aside.
        await buffer.shutdown()
        buffer = try BufferedOutput(name: "out", configuration: configuration, sender: sender, logger: logger, clock: ManualClock())
        await buffer.ensureRecovered()
        let broken = ((try? FileManager.default.contentsOfDirectory(atPath: disk.path + "/buffer")) ?? []).filter { $0.contains(".broken") }
        #expect(broken.isEmpty, "chunks set aside while the disk was full: \(broken)")

        // Space returns: emits are taken again and everything acknowledged is delivered.
        unlink(disk.path + "/ballast")
        let later = Array(next..<(next + 20))
        try await buffer.emit(makeStream(tag: "b", seqs: later, padding: 200))
        acked += later
        for _ in 0..<10 where buffer.status.totalBytes > 0 || buffer.status.stageLength > 0 { await buffer.flushNow() }
        await buffer.shutdown()

        let accepted = sender.accepted.withLock { $0 }
        let missing = Set(acked).subtracting(accepted)
        #expect(missing.isEmpty, "acknowledged but not delivered: \(missing.count), e.g. \(missing.sorted().prefix(10))")
        let delivered = Set(accepted).intersection(refused)
        #expect(delivered.isEmpty, "refused events were delivered (a client resending them would duplicate): \(delivered.sorted().prefix(10))")
        var seen: Set<Int> = []
        let duplicates = accepted.filter { !seen.insert($0).inserted }
        // Only the partial acceptance whose progress could not be saved may be delivered again.
        #expect(Set(duplicates).isSubset(of: acceptedWhileFull), "duplicates beyond the unsaved progress: \(duplicates.prefix(10))")
        print(
            "full disk: \(acked.count) acknowledged, \(refused.count) refused, \(acceptedWhileFull.count) accepted while full, \(duplicates.count) delivered twice"
        )
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: disk.path + "/buffer")) ?? []).isEmpty)
    }

    /// The same without mount rights: the crash probe fills a buffer under RLIMIT_FSIZE (SIGXFSZ
    /// ignored, so the write fails with EFBIG), exits after the first refused emit, and a second
    /// run without the limit drains it.
    @Test func fileSizeLimitRefusesTheEmitAndKeepsAcknowledgedData() async throws {
        let probe = try ChildProcess.crashProbe().get()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = directory.path
        let output = dir + "/probe.out"
        let fill = try ChildProcess.spawn(probe, ["fill", dir, "0", "7", "0", "\(200 * 1024)"], outputPath: output)
        let fillStatus = await fill.exited()
        #expect(fillStatus == 0, "fill exited with wait status \(fillStatus): \(fill.output)")
        #expect(fill.output.contains("fill refused"), "\(fill.output)")

        let drain = try ChildProcess.spawn(probe, ["drain", dir, "1", "7", "0"], outputPath: output)
        let drainStatus = await drain.exited()
        #expect(drainStatus == 0, "drain exited with wait status \(drainStatus): \(drain.output)")
        #expect(drain.output.contains("drained queue=0 bytes=0"), "\(drain.output)")

        let verdict = CrashTests.Verdict(
            ackedLog: (try? String(contentsOfFile: dir + "/acked.log", encoding: .utf8)) ?? "",
            destinationLog: (try? String(contentsOfFile: dir + "/dest.log", encoding: .utf8)) ?? "")
        let delivered = verdict.deliveries.map(\.seq)
        print("file size limit: \(verdict.acked.count) acknowledged, \(delivered.count) delivered")
        #expect(verdict.acked.count > 100)
        #expect(verdict.missing.isEmpty, "acknowledged but never delivered: \(verdict.missing.prefix(20))")
        #expect(Set(delivered) == verdict.acked, "the refused emit's events were delivered: \(Set(delivered).subtracting(verdict.acked).sorted().prefix(10))")
        #expect(delivered.count == Set(delivered).count, "delivered twice")
        #expect(verdict.orderViolations.isEmpty && verdict.indexMismatches.isEmpty)
    }
}
