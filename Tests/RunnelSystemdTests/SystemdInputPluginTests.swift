import Foundation
import RunnelConfig
import RunnelCore
import RunnelTestSupport
import Testing
@testable import RunnelSystemd

/// The input against real journal files written by systemd-journal-remote.
@Suite(.serialized)
struct SystemdInputPluginTests {
    func configuration(
        _ dir: TemporaryDirectory, head: Bool = true, matches: String? = nil, storage: String? = nil,
        persistent: Bool = true
    ) throws -> SystemdInputConfiguration {
        var parameters: [(String, String)] = [("tag", "journal.test"), ("path", dir.path), ("read_from_head", head ? "true" : "false")]
        if let matches { parameters.append(("matches", matches)) }
        var children: [ConfigElement] = []
        if let storage {
            children.append(
                ConfigElement(
                    name: "storage",
                    parameters: [("@type", "local"), ("persistent", persistent ? "true" : "false"), ("path", storage)].map {
                        ConfigParameter(key: $0.0, value: $0.1, location: .synthesized)
                    }))
        }
        let element = ConfigElement(
            name: "source", parameters: parameters.map { ConfigParameter(key: $0.0, value: $0.1, location: .synthesized) },
            children: children)
        return try SystemdInputConfiguration.read(element, pluginID: nil, rootDirectory: nil).configuration
    }

    @Test func readFromHeadReadsEveryEntryInOrderWithTheEntryTime() async throws {
        let dir = try TemporaryDirectory()
        try await JournalWriter.append(entries("h", 0..<5, extra: { _ in [("_SYSTEMD_UNIT", "kubelet.service")] }), to: dir.path + "/system.journal")
        let sink = CollectingSink()
        let input = RunningInput(try configuration(dir), sink: sink)
        let got = try await sink.wait { $0.count >= 5 }
        try await input.stop()
        #expect(got == messages("h", 0..<5))
        let first = try #require(sink.events.withLock { $0.first })
        #expect(first.tag == "journal.test")
        // in_systemd: Fluent::EventTime.from_time(entry.realtime_timestamp), the entry's __REALTIME_TIMESTAMP.
        #expect(first.time == EventTime(seconds: 1_700_000_000, nanoseconds: 250_000))
        #expect(first.record["_SYSTEMD_UNIT"] == .string("kubelet.service"))
        #expect(first.record["_BOOT_ID"] == .string(JournalWriter.bootID))
    }

    @Test func readFromTailReadsTheNewestEntryThenWhatIsAppended() async throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/system.journal"
        try await JournalWriter.append(entries("t", 0..<4), to: file)
        let sink = CollectingSink()
        let input = RunningInput(try configuration(dir, head: false), sink: sink)
        // fluent-plugin-systemd seeks to the tail and steps back so the newest entry is read
        // (test/plugin/test_in_systemd.rb, test_reading_from_the_journal_tail: one event).
        _ = try await sink.wait { $0.count >= 1 }
        try await JournalWriter.append(entries("t", 4..<7), to: file)
        let got = try await sink.wait { $0.count >= 4 }
        try await input.stop()
        #expect(got == ["t-3"] + messages("t", 4..<7))
    }

    @Test(arguments: [
        // One hash, one field.
        (#"[{"_SYSTEMD_UNIT": "kubelet.service"}]"#, ["m-0", "m-3", "m-5"]),
        // Fields of a hash are ANDed.
        (#"[{"_SYSTEMD_UNIT": "kubelet.service", "_PID": 7}]"#, ["m-3"]),
        // Hashes are ORed.
        (#"[{"_SYSTEMD_UNIT": "kubelet.service", "_PID": "7"}, {"_SYSTEMD_UNIT": "docker.service"}]"#, ["m-1", "m-3", "m-4"]),
        // An array value is an OR of its values; field names are upper-cased as the gem does.
        (#"[{"_systemd_unit": ["docker.service", "containerd.service"]}]"#, ["m-1", "m-2", "m-4"]),
        // No matches: everything.
        ("[]", messages("m", 0..<6)),
    ])
    func matches(_ matches: String, _ expected: [String]) async throws {
        let dir = try TemporaryDirectory()
        let units = ["kubelet.service", "docker.service", "containerd.service", "kubelet.service", "docker.service", "kubelet.service"]
        try await JournalWriter.append(
            entries("m", 0..<6, extra: { [("_SYSTEMD_UNIT", units[$0]), ("_PID", "\($0 == 3 ? 7 : 100 + $0)")] }), to: dir.path + "/system.journal")
        let sink = CollectingSink()
        let input = RunningInput(try configuration(dir, matches: matches), sink: sink)
        _ = try await sink.wait { $0.count >= expected.count }
        // Then one entry that matches every case, so that nothing further is pending when we stop.
        try await JournalWriter.append(
            entries("m", 6..<7, extra: { _ in [("_SYSTEMD_UNIT", "kubelet.service"), ("_PID", "7")] })
                + entries("m", 7..<8, extra: { _ in [("_SYSTEMD_UNIT", "docker.service")] }), to: dir.path + "/system.journal")
        let all = try await sink.wait { $0.contains("m-6") || $0.contains("m-7") }
        try await input.stop()
        // Entries are read in journal order: everything before m-6/m-7 is what the matches let through.
        #expect(Array(all.prefix(while: { $0 != "m-6" && $0 != "m-7" })) == expected)
    }

    @Test func cursorIsStoredAsFluentdDoesAndARestartResumesWithoutDuplicatesOrLoss() async throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/system.journal"
        let storage = dir.path + "/pos/cursor.json"
        try await JournalWriter.append(entries("c", 0..<3), to: file)
        let first = CollectingSink()
        var input = RunningInput(try configuration(dir, storage: storage), sink: first)
        _ = try await first.wait { $0.count >= 3 }
        try await input.stop()
        // storage_local's file: {"journal": "<cursor of the last entry emitted>"}, the cursor journalctl prints.
        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: storage))) as? [String: String])
        #expect(saved == ["journal": try await JournalWriter.cursors(of: file)[2]])

        try await JournalWriter.append(entries("c", 3..<6), to: file)
        let second = CollectingSink()
        input = RunningInput(try configuration(dir, storage: storage), sink: second)
        let got = try await second.wait { $0.count >= 3 }
        try await JournalWriter.append(entries("c", 6..<8), to: file)
        let more = try await second.wait { $0.count >= 5 }
        try await input.stop()
        #expect(got.prefix(3) == ArraySlice(messages("c", 3..<6)))
        #expect(more == messages("c", 3..<8))
        #expect(first.messages + second.messages == messages("c", 0..<8))
    }

    @Test func aCursorFileWrittenByFluentdIsResumedAndABadOneFallsBackToReadFrom() async throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/system.journal"
        let storage = dir.path + "/cursor.json"
        try await JournalWriter.append(entries("f", 0..<5), to: file)
        // A node migrated from Fluentd: JSON.generate({"journal" => cursor}) after the third entry.
        let cursor = try await JournalWriter.cursors(of: file)[2]
        try Data("{\"journal\":\"\(cursor)\"}".utf8).write(to: URL(fileURLWithPath: storage))
        let sink = CollectingSink()
        var input = RunningInput(try configuration(dir, head: false, storage: storage), sink: sink)
        let got = try await sink.wait { $0.count >= 2 }
        try await input.stop()
        #expect(got == messages("f", 3..<5))

        try Data("{\"journal\":\"not a cursor\"}".utf8).write(to: URL(fileURLWithPath: storage))
        let fallback = CollectingSink()
        input = RunningInput(try configuration(dir, head: true, storage: storage), sink: fallback)
        let all = try await fallback.wait { $0.count >= 5 }
        try await input.stop()
        #expect(all == messages("f", 0..<5))
    }

    @Test func notPersistentStorageIsWrittenAtShutdown() async throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/system.journal"
        let storage = dir.path + "/state"  // not .json: a directory holding worker0/storage.json, as storage_local
        try await JournalWriter.append(entries("p", 0..<2), to: file)
        let sink = CollectingSink()
        let input = RunningInput(try configuration(dir, storage: storage, persistent: false), sink: sink)
        _ = try await sink.wait { $0.count >= 2 }
        try await input.stop()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: storage + "/worker0/storage.json"))) as? [String: String]
        #expect(saved == ["journal": try await JournalWriter.cursors(of: file)[1]])
    }

    @Test func binaryFieldsArriveByteForByte() async throws {
        let dir = try TemporaryDirectory()
        let binary: [UInt8] = [0x00, 0xff, 0x0a, 0x41, 0xc3]
        let multiline = Array("first line\nsecond line ✓".utf8)
        try await JournalWriter.append(
            [TestEntry(realtime: 1_700_000_000_000_000, binary: [("MESSAGE", multiline), ("BLOB", binary)])], to: dir.path + "/system.journal")
        let sink = CollectingSink()
        let input = RunningInput(try configuration(dir), sink: sink)
        _ = try await sink.wait { $0.count >= 1 }
        try await input.stop()
        let record = try #require(sink.events.withLock { $0.first?.record })
        #expect(record["MESSAGE"] == .string("first line\nsecond line ✓"))
        #expect(record["BLOB"] == .binary(binary))
    }

    @Test func entryOptionsApplyToJournalEntries() async throws {
        let dir = try TemporaryDirectory()
        try await JournalWriter.append(entries("e", 0..<1, extra: { _ in [("_PID", "42"), ("_COMM", "kubelet")] }), to: dir.path + "/system.journal")
        var configuration = try configuration(dir)
        configuration.entry = EntryMapping(
            fieldMap: [("MESSAGE", ["log"]), ("_PID", ["process"]), ("_COMM", ["process"])],
            fieldsStripUnderscores: true, fieldsLowercase: true)
        let sink = CollectingSink()
        let input = RunningInput(configuration, sink: sink)
        _ = try await sink.wait(until: { _ in !sink.events.withLock { $0.isEmpty } })
        try await input.stop()
        let record = try #require(sink.events.withLock { $0.first?.record })
        #expect(record["log"] == .string("e-0"))
        #expect(record["process"] == .string("42 kubelet"))
        #expect(record["boot_id"] == .string(JournalWriter.bootID))
        #expect(record["MESSAGE"] == nil && record["_PID"] == nil && record["pid"] == nil)
    }

    @Test func aSingleJournalFileCanBeThePath() async throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/one.journal"
        try await JournalWriter.append(entries("s", 0..<3), to: file)
        var configuration = try configuration(dir)
        configuration.path = file
        let sink = CollectingSink()
        let input = RunningInput(configuration, sink: sink)
        let got = try await sink.wait { $0.count >= 3 }
        try await input.stop()
        #expect(got == messages("s", 0..<3))
    }

    @Test func aMissingJournalDirectoryIsWaitedFor() async throws {
        let dir = try TemporaryDirectory()
        var configuration = try configuration(dir)
        configuration.path = dir.path + "/later"
        let sink = CollectingSink()
        let input = RunningInput(configuration, sink: sink)
        try await Task.sleep(for: .milliseconds(300))
        try FileManager.default.createDirectory(atPath: dir.path + "/later", withIntermediateDirectories: true)
        try await JournalWriter.append(entries("l", 0..<2), to: dir.path + "/later/system.journal")
        let got = try await sink.wait { $0.count >= 2 }
        try await input.stop()
        #expect(got == messages("l", 0..<2))
    }
}
