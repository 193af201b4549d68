import NIOCore
import NIOEmbedded
import NIOTestUtils
import RunnelCompression
import RunnelCore
import Testing
@testable import RunnelForward

@Suite struct ForwardFrameDecoderTests {
    static let modes: [ForwardMessage.Mode] = [.message, .forward, .packedForward, .compressedPackedForward]

    @Test(arguments: modes, [nil, "chunk-1"] as [String?])
    func verifierAcceptsEveryMode(mode: ForwardMessage.Mode, chunk: String?) throws {
        let (bytes, frames) = try ForwardFixtures.pair(ForwardFixtures.stream(count: 5), mode: mode, chunk: chunk)
        let (bytes2, frames2) = try ForwardFixtures.pair(ForwardFixtures.stream(tag: "other", count: 3, seed: 9), mode: mode)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(bytes: bytes), frames), (ByteBuffer(bytes: bytes2), frames2)],
            decoderFactory: { ForwardFrameDecoder(options: ForwardFixtures.options()) })
    }

    @Test(arguments: modes)
    func splitAtEveryOffsetAndByteByByte(mode: ForwardMessage.Mode) throws {
        let (first, firstFrames) = try ForwardFixtures.pair(ForwardFixtures.stream(count: 3), mode: mode, chunk: "c")
        let (second, secondFrames) = try ForwardFixtures.pair(ForwardFixtures.stream(tag: "b", count: 2, seed: 3), mode: mode)
        let bytes = first + second
        let expected = firstFrames + secondFrames
        #expect(try decodeAll(bytes, options: ForwardFixtures.options()) == expected)
        for cut in 0...bytes.count {
            #expect(try decodeAll(bytes, options: ForwardFixtures.options(), splitAt: [cut]) == expected, "split at \(cut)")
        }
        #expect(try decodeAll(bytes, options: ForwardFixtures.options(), splitAt: Array(0..<bytes.count)) == expected)
    }

    @Test func embeddedChannelDeliversFrames() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ForwardFrameDecoder(options: ForwardFixtures.options())))
        let (bytes, frames) = try ForwardFixtures.pair(ForwardFixtures.stream(count: 4), mode: .packedForward, chunk: "x")
        try channel.writeInbound(ByteBuffer(bytes: bytes.prefix(10)))
        #expect(try channel.readInbound(as: ForwardFrame.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: bytes.dropFirst(10)))
        #expect(try channel.readInbound(as: ForwardFrame.self) == frames[0])
        #expect(try channel.finish().isClean)
    }

    @Test func packedEntriesAreCopiedUnchanged() throws {
        let stream = ForwardFixtures.stream(count: 20)
        let (bytes, _) = try ForwardFixtures.pair(stream, mode: .packedForward)
        guard case .events(let message) = try decodeAll(bytes, options: ForwardFixtures.options()).first else {
            Issue.record("no message"); return
        }
        #expect(message.entries == stream.entries)
        #expect(message.count == 20)
    }

    @Test func severalGzipMembersAreOneStream() throws {
        let a = ForwardFixtures.stream(count: 3)
        let b = ForwardFixtures.stream(count: 4, seed: 1)
        let payload = try Zlib.compress(a.entries) + Zlib.compress(b.entries)
        let bytes = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 3); w.write("t"); w.writeBinary(payload)
            w.writeMapHeader(count: 2); w.write("compressed"); w.write("gzip"); w.write("size"); w.write(7)
        }
        guard case .events(let message) = try decodeAll(bytes, options: ForwardFixtures.options()).first else {
            Issue.record("no message"); return
        }
        #expect(message.entries == a.entries + b.entries)
        #expect(message.count == 7)
        #expect(message.mode == .compressedPackedForward)
    }

    @Test func messageModeTimesAndNilRecords() throws {
        let intTime = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 3); w.write("t"); w.write(1_700_000_000); w.write(MessagePackValue.record(["a": 1]))
        }
        let floatTime = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 3); w.write("t"); w.write(1_700_000_000.5); w.write(MessagePackValue.record(["a": 1]))
        }
        let zeroTime = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 4); w.write("t"); w.write(0); w.write(MessagePackValue.record(["a": 1]))
            w.writeMapHeader(count: 1); w.write("chunk"); w.write("z")
        }
        let nilRecord = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 4); w.write("t"); w.write(1); w.writeNil()
            w.writeMapHeader(count: 1); w.write("chunk"); w.write("n")
        }
        let frames = try decodeAll(intTime + floatTime + zeroTime + nilRecord, options: ForwardFixtures.options())
        let times: [EventTime?] = try frames.map { frame in
            guard case .events(let m) = frame else { return nil }
            return try EventStream(tag: m.tag, entries: m.entries, count: m.count).decodedEntries().first?.time
        }
        #expect(
            times == [
                EventTime(seconds: 1_700_000_000), EventTime(seconds: 1_700_000_000, nanoseconds: 500_000_000),
                ForwardFixtures.fixedNow, nil,
            ])
        guard case .events(let last) = frames[3] else { Issue.record("no message"); return }
        #expect(last.count == 0 && last.chunk == "n")
    }

    static let badInputs: [(String, [UInt8], String)] = [
        ("not an array", Array("GET / HTTP/1.1\r\n".utf8), "malformed_frame"),
        (
            "tag is an integer",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 3); w.write(5); w.write(1); w.write(MessagePackValue.record(["a": 1]))
            }, "invalid_tag"
        ),
        (
            "record is a string",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 3); w.write("t"); w.write(1); w.write("nope")
            }, "invalid_entries"
        ),
        ("invalid byte", [0x93, 0xa1, 0x74, 0xc1], "malformed_frame"),
        ("declared string beyond limit", [0x93, 0xa1, 0x74, 0xc6, 0x7f, 0xff, 0xff, 0xff], "frame_too_large"),
        ("declared array beyond limit", [0x92, 0xa1, 0x74, 0xdd, 0x7f, 0xff, 0xff, 0xff], "frame_too_large"),
        (
            "size mismatch",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 3); w.write("t"); w.writeBinary(ForwardFixtures.stream(count: 2).entries)
                w.writeMapHeader(count: 1); w.write("size"); w.write(3)
            }, "size_mismatch"
        ),
        (
            "unknown compression",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 3); w.write("t"); w.writeBinary([1, 2, 3])
                w.writeMapHeader(count: 1); w.write("compressed"); w.write("zstd")
            }, "unsupported_compression"
        ),
        (
            "corrupt gzip",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 3); w.write("t"); w.writeBinary([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff])
                w.writeMapHeader(count: 1); w.write("compressed"); w.write("gzip")
            }, "decompression_failed"
        ),
        (
            "packed entry is not [time, record]",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 2); w.write("t"); w.writeBinary([0x91, 0x01])
            }, "invalid_entries"
        ),
        (
            "too many elements",
            ForwardFixtures.encode { w in
                w.writeArrayHeader(count: 5); w.write("t"); w.write(1); w.write(MessagePackValue.record(["a": 1])); w.writeNil(); w.writeNil()
            },
            "malformed_frame"
        ),
    ]

    @Test(arguments: badInputs)
    func badInputIsRejected(name: String, bytes: [UInt8], reason: String) {
        #expect {
            _ = try decodeAll(bytes, options: ForwardFixtures.options(limit: 4096))
        } throws: { error in
            (error as? ForwardError)?.reason == reason
        }
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let bomb = try Zlib.compress(zeros)
        #expect(bomb.count < 64 * 1024)
        let bytes = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 3); w.write("t"); w.writeBinary(bomb)
            w.writeMapHeader(count: 1); w.write("compressed"); w.write("gzip")
        }
        #expect(throws: ForwardError(.decompressedTooLarge(limit: 1 << 20))) {
            _ = try decodeAll(bytes, options: ForwardFixtures.options(limit: 1 << 20))
        }
    }

    @Test func skipInvalidEventKeepsTheGoodOnes() throws {
        let good = ForwardFixtures.stream(count: 2)
        var packed = good.entries
        packed += [0x92, 0x01, 0xa1, 0x78]  // [1, "x"]: record is not a map
        packed += ForwardFixtures.stream(count: 1, seed: 4).entries
        let bytes = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 2); w.write("t"); w.writeBinary(packed)
        }
        guard case .events(let message) = try decodeAll(bytes, options: ForwardFixtures.options(skipInvalid: true)).first else {
            Issue.record("no message"); return
        }
        #expect(message.count == 3 && message.skipped == 1)
        #expect(message.entries == good.entries + ForwardFixtures.stream(count: 1, seed: 4).entries)

        let forward = ForwardFixtures.encode { w in
            w.writeArrayHeader(count: 2); w.write("t"); w.writeArrayHeader(count: 3)
            w.writeArrayHeader(count: 2); w.write(1); w.write(MessagePackValue.record(["a": 1]))
            w.writeArrayHeader(count: 2); w.write("bad time"); w.write(MessagePackValue.record(["a": 2]))
            w.writeArrayHeader(count: 2); w.write(3); w.write(MessagePackValue.record(["a": 3]))
        }
        guard case .events(let forwarded) = try decodeAll(forward, options: ForwardFixtures.options(skipInvalid: true)).first else {
            Issue.record("no message"); return
        }
        #expect(forwarded.count == 2 && forwarded.skipped == 1)
    }

    @Test func scannerRejectsOversizeBeforePayloadArrives() throws {
        var scanner = MessagePackFrameScanner(limit: 100)
        let header: [UInt8] = [0x92, 0xa1, 0x74, 0xc5, 0x01, 0x00]  // bin16 of 256 bytes
        #expect(throws: ForwardError(.frameTooLarge(size: 262, limit: 100))) {
            _ = try header.withUnsafeBytes { try scanner.scan($0) }
        }
    }
}
