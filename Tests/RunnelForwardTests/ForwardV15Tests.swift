import Foundation
import RunnelCompression
import RunnelCore
import RunnelTestSupport
import Testing
@testable import RunnelForward

/// Forward protocol v1.5 entries (`[[EventTime, metadata], record]`), as Fluent Bit 5 sends them,
/// and `skip_invalid_event` as Fluentd v1.19 has it.
@Suite struct ForwardV15Tests {
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("captures")

    /// Bytes Fluent Bit 5.1.1's out_forward sent (see captures/README.md), fed to a real listener.
    @Test(arguments: ["fluent-bit-5.1.1-forward-mode.bin", "fluent-bit-5.1.1-gzip.bin", "fluent-bit-5.1.1-send-options.bin"])
    func fluentBitCaptureIsReceivedWhole(file: String) async throws {
        let bytes = try [UInt8](Data(contentsOf: Self.captures.appendingPathComponent(file)))
        let sink = CapturingSink()
        try await withForwardInput(sink: sink) { _, port in
            try await ForwardClient.withConnection(clientConfiguration(port: port, ack: false)) { client in
                try await client.sendRaw(bytes)
                try await waitUntil("three events from \(file)") { sink.eventCount >= 3 }
            }
        }
        let events = try sink.events()
        #expect(events.map(\.tag) == ["app.fluentbit", "app.fluentbit", "app.fluentbit"])
        #expect(events.map(\.record) == [1, 2, 3].map { .record(["seq": .int($0)]) })
        // The times are the ones Fluent Bit put in the [EventTime, {}] pairs, not the time of arrival.
        #expect(events.allSatisfy { $0.time.seconds > 1_700_000_000 && $0.time.seconds < 1_900_000_000 })
        #expect(events.map(\.time) == events.map(\.time).sorted())
    }

    /// Every capture split at every offset decodes to the same three events.
    @Test(arguments: ["fluent-bit-5.1.1-forward-mode.bin", "fluent-bit-5.1.1-gzip.bin", "fluent-bit-5.1.1-send-options.bin"])
    func fluentBitCaptureSplitAnywhere(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.captures.appendingPathComponent(file)))
        let whole = try decodeAll(bytes, options: Self.options())
        #expect(try whole.flatMap(Self.entries).count == 3)
        for cut in 0...bytes.count {
            #expect(try decodeAll(bytes, options: Self.options(), splitAt: [cut]) == whole, "split at \(cut)")
        }
    }

    /// Every mode, with the v1.5 time form and integer, float, EventTime and nil times inside it.
    @Test(arguments: [ForwardMessage.Mode.message, .forward, .packedForward, .compressedPackedForward])
    func v15TimeFormInEveryMode(mode: ForwardMessage.Mode) throws {
        let times: [(MessagePackValue, EventTime)] = [
            (.extension(type: 0, data: [0x6a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]), EventTime(seconds: 0x6a00_0001, nanoseconds: 7)),
            (.int(1_700_000_000), EventTime(seconds: 1_700_000_000)),
            (.double(1_700_000_000.5), EventTime(seconds: 1_700_000_000, nanoseconds: 500_000_000)),
        ]
        for (time, expected) in times {
            for metadata in [[], [MessagePackValue.record([:])], [.record(["trace_id": .string("abc")]), .record([:])]] {
                let entry = MessagePackValue.array([.array([time] + metadata), .record(["k": .string("v")])])
                let frame = try Self.frame(mode: mode, entries: [entry, entry])
                let message = try Self.events(frame)
                let entries = try EventStream(tag: message.tag, entries: message.entries, count: message.count).decodedEntries()
                let expectedCount = mode == .message ? 1 : 2
                #expect(entries.count == expectedCount && message.skipped == 0)
                #expect(entries.allSatisfy { $0.time == expected })
                #expect(entries.allSatisfy { $0.record == .record(["k": .string("v")]) })
            }
        }
    }

    @Test func nilTimeInsideTheArrayIsTheTimeOfArrival() throws {
        let entry = MessagePackValue.array([.array([.nil, .record([:])]), .record(["k": .int(1)])])
        let message = try Self.events(try Self.frame(mode: .forward, entries: [entry]))
        let entries = try EventStream(tag: message.tag, entries: message.entries, count: message.count).decodedEntries()
        #expect(entries.map(\.time) == [EventTime(seconds: 42)])
    }

    /// skip_invalid_event (Fluentd v1.19 default true, lib/fluent/plugin/in_forward.rb): an invalid
    /// entry is dropped and counted, the rest of the message is kept.
    @Test(arguments: [ForwardMessage.Mode.forward, .packedForward, .compressedPackedForward])
    func invalidEntriesAreSkippedAndTheRestKept(mode: ForwardMessage.Mode) throws {
        let good = MessagePackValue.array([.array([.int(1_700_000_000), .record([:])]), .record(["ok": .bool(true)])])
        let invalid: [MessagePackValue] = [
            .array([.string("not a time"), .record([:])]),
            .array([.array([]), .record([:])]),
            .array([.array([.int(1), .string("metadata is not a map")]), .record([:])]),
            .array([.int(1), .string("record is not a map")]),
            .array([.int(1)]),
        ]
        let message = try Self.events(try Self.frame(mode: mode, entries: [good] + invalid + [good]))
        #expect(message.count == 2)
        #expect(message.skipped == invalid.count)
        // Without skip_invalid_event the message is rejected, naming the problem.
        #expect(throws: ForwardError.self) {
            _ = try Self.events(try Self.frame(mode: mode, entries: [good, invalid[0]]), skip: false)
        }
    }

    @Test func invalidMessageModeEventIsDroppedAndAcknowledged() throws {
        var writer = MessagePackWriter()
        writer.write(.array([.string("t"), .bool(true), .record([:]), .record(["chunk": .string("c1")])]))
        let message = try Self.events(writer.bytes)
        #expect(message.count == 0 && message.skipped == 1 && message.chunk == "c1")
    }

    @Test func skipInvalidEventDefaultsToTrue() throws {
        #expect(ForwardInputConfiguration().skipInvalidEvent)
    }

    // MARK: helpers

    static func options(skip: Bool = true) -> ForwardDecodingOptions {
        ForwardDecodingOptions(chunkSizeLimit: 1 << 20, skipInvalidEvents: skip, now: { EventTime(seconds: 42) })
    }

    static func frame(mode: ForwardMessage.Mode, entries: [MessagePackValue]) throws -> [UInt8] {
        var writer = MessagePackWriter()
        switch mode {
        case .message:
            guard case .array(let parts) = entries[0] else { fatalError() }
            writer.write(.array([.string("v15")] + parts))
        case .forward:
            writer.write(.array([.string("v15"), .array(entries)]))
        case .packedForward, .compressedPackedForward:
            var packed = MessagePackWriter()
            for entry in entries { packed.write(entry) }
            if mode == .packedForward {
                writer.write(.array([.string("v15"), .binary(packed.bytes)]))
            } else {
                let gzip = try Zlib.compress(packed.bytes)
                writer.write(.array([.string("v15"), .binary(gzip), .record(["compressed": .string("gzip")])]))
            }
        }
        return writer.bytes
    }

    static func events(_ bytes: [UInt8], skip: Bool = true) throws -> ForwardMessage {
        let frame = try bytes.withUnsafeBytes { try ForwardFrame.parse($0, options: options(skip: skip)) }
        guard case .events(let message) = frame else { throw ForwardTestError.timedOut("not events") }
        return message
    }

    static func entries(_ frame: ForwardFrame) throws -> [MessagePackValue] {
        guard case .events(let message) = frame else { return [] }
        return try EventStream(tag: message.tag, entries: message.entries, count: message.count).decodedEntries().map(\.record)
    }
}
