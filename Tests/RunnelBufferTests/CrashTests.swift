import Foundation
import Testing
import RunnelTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The file buffer under SIGKILL: the crash probe (Sources/RunnelBufferCrashProbe) appends
/// entries, writes "A <seq> ." once each emit returned (the acknowledgement a Forward client would
/// get), and flushes to a flaky destination that logs every entry it accepts. The test kills it at
/// random points, restarts it, and finally drains the buffer.
@Suite struct CrashTests {
    struct Delivery {
        var generation: Int
        var chunk: String
        var attempt: Int
        var index: Int
        var seq: Int
    }

    /// What the logs of a crash run say.
    struct Verdict {
        var acked: Set<Int>
        var deliveries: [Delivery]
        var missing: [Int] = []
        /// Seqs delivered more than once.
        var duplicated = 0
        /// Deliveries that the buffer should not have repeated: the earlier one was followed by
        /// another attempt of the same chunk in the same process (so its acceptance was recorded),
        /// or the repeat came from the same process.
        var unjustifiedRepeats: [String] = []
        var indexMismatches: [String] = []
        var orderViolations: [String] = []

        init(ackedLog: String, destinationLog: String) {
            acked = []
            for line in ackedLog.split(separator: "\n") {
                let fields = line.split(separator: " ")
                // A line without its closing "." was cut short by the SIGKILL: its number is not whole.
                if fields.count == 3, fields[0] == "A", fields[2] == ".", let seq = Int(fields[1]) { acked.insert(seq) }
            }
            deliveries = []
            for line in destinationLog.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 7, f[0] == "D", f[6] == ".", let g = Int(f[1]), let a = Int(f[3]), let i = Int(f[4]), let s = Int(f[5]) else { continue }
                deliveries.append(Delivery(generation: g, chunk: String(f[2]), attempt: a, index: i, seq: s))
            }
            check()
        }

        private mutating func check() {
            let delivered = Set(deliveries.map(\.seq))
            missing = acked.subtracting(delivered).sorted()

            struct Attempt: Hashable { var generation: Int; var chunk: String }
            var lastAttempt: [Attempt: Int] = [:]
            for d in deliveries {
                lastAttempt[Attempt(generation: d.generation, chunk: d.chunk), default: 0] = max(
                    lastAttempt[Attempt(generation: d.generation, chunk: d.chunk)] ?? 0, d.attempt)
            }

            var bySeq: [Int: [Delivery]] = [:]
            for d in deliveries { bySeq[d.seq, default: []].append(d) }
            for (seq, list) in bySeq where list.count > 1 {
                duplicated += 1
                for (earlier, later) in zip(list, list.dropFirst()) {
                    let wasLastAttempt = earlier.attempt == lastAttempt[Attempt(generation: earlier.generation, chunk: earlier.chunk)]
                    if later.generation <= earlier.generation || !wasLastAttempt {
                        unjustifiedRepeats.append(
                            "seq \(seq): gen \(earlier.generation) attempt \(earlier.attempt) then gen \(later.generation) attempt \(later.attempt) of chunk \(earlier.chunk)"
                        )
                    }
                }
            }

            // An entry keeps its place in its chunk across restarts, and a chunk keeps append order.
            var byChunk: [String: [Int: Int]] = [:]
            for d in deliveries {
                if let seen = byChunk[d.chunk]?[d.index], seen != d.seq {
                    indexMismatches.append("chunk \(d.chunk) index \(d.index): seq \(seen) and \(d.seq)")
                }
                byChunk[d.chunk, default: [:]][d.index] = d.seq
            }
            for (chunk, entries) in byChunk {
                let seqs = entries.sorted { $0.key < $1.key }.map(\.value)
                if zip(seqs, seqs.dropFirst()).contains(where: { $0 >= $1 }) { orderViolations.append(chunk) }
            }
        }
    }

    @Test(arguments: [(seed: UInt64(0xC0FFEE), durable: false), (seed: UInt64(0xBADC0DE), durable: true)])
    func sigkillLosesNoAcknowledgedEntry(seed: UInt64, durable: Bool) async throws {
        let probe = try ChildProcess.crashProbe().get()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = directory.path
        let ackedPath = dir + "/acked.log"
        let output = dir + "/probe.out"
        var rng = SplitMix64(seed: seed)
        let iterations = 25
        var killedBeforeFirstAck = 0

        for generation in 0..<iterations {
            let child = try ChildProcess.spawn(
                probe, ["run", dir, "\(generation)", "\(seed &+ UInt64(generation))", durable ? "1" : "0"], outputPath: output)
            if Int.random(in: 0..<8, using: &rng) == 0 {
                // Kill during start-up (recovery of what the last run left).
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<40, using: &rng)))
                killedBeforeFirstAck += 1
            } else {
                // Wait for this run's first acknowledgement, then a random moment more.
                let before = fileSize(ackedPath)
                while fileSize(ackedPath) == before {
                    guard child.isRunning() else {
                        Issue.record("probe generation \(generation) exited on its own: \(child.output)")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<200, using: &rng)))
            }
            #expect(child.isRunning(), "probe generation \(generation) exited on its own: \(child.output)")
            child.kill()
        }

        let drain = try ChildProcess.spawn(probe, ["drain", dir, "\(iterations)", "\(seed)", durable ? "1" : "0"], outputPath: output)
        let status = await drain.exited()
        #expect(status == 0, "drain exited with wait status \(status): \(drain.output)")
        #expect(drain.output.contains("drained queue=0 bytes=0"), "\(drain.output)")

        let verdict = Verdict(
            ackedLog: (try? String(contentsOfFile: ackedPath, encoding: .utf8)) ?? "",
            destinationLog: (try? String(contentsOfFile: dir + "/dest.log", encoding: .utf8)) ?? "")
        print(
            "crash test seed \(seed) durable \(durable): \(iterations) SIGKILLs (\(killedBeforeFirstAck) during start-up), "
                + "\(verdict.acked.count) acknowledged, \(verdict.deliveries.count) deliveries, "
                + "\(Set(verdict.deliveries.map(\.seq)).count) distinct, \(verdict.duplicated) duplicated")
        #expect(verdict.acked.count > 0)
        #expect(verdict.missing.isEmpty, "acknowledged but never delivered: \(verdict.missing.prefix(20)) (\(verdict.missing.count))")
        #expect(verdict.unjustifiedRepeats.isEmpty, "\(verdict.unjustifiedRepeats.prefix(10))")
        #expect(verdict.indexMismatches.isEmpty, "\(verdict.indexMismatches.prefix(10))")
        #expect(verdict.orderViolations.isEmpty, "chunks out of order: \(verdict.orderViolations.prefix(10))")
        let left = directory.files(in: "buffer")
        #expect(!left.contains { $0.hasSuffix(".broken") }, "SIGKILL must never leave unreadable chunks: \(left)")
        #expect(!left.contains { $0.hasSuffix(".log") }, "the drain left chunks: \(left)")
    }
}
