import Testing
@testable import RunnelCore

struct EventStreamTests {
    static let t1 = EventTime(seconds: 1_700_000_000, nanoseconds: 1)
    static let t2 = EventTime(seconds: 1_700_000_001)

    static func sample() -> EventStream {
        var builder = EventStreamBuilder(tag: "app.web")
        builder.append(time: t1, record: .record(["message": "a", "n": 1]))
        builder.append(time: t2, encodedRecord: MessagePackValue.record(["message": "b"]).encoded)
        return builder.build()
    }

    @Test func builderWritesPackedForwardEntries() throws {
        let stream = Self.sample()
        #expect(stream.tag == "app.web")
        #expect(stream.count == 2)
        #expect(!stream.isEmpty)
        var expected = MessagePackWriter()
        expected.writeArrayHeader(count: 2)
        expected.write(Self.t1)
        expected.write(MessagePackValue.record(["message": "a", "n": 1]))
        expected.writeArrayHeader(count: 2)
        expected.write(Self.t2)
        expected.write(MessagePackValue.record(["message": "b"]))
        #expect(stream.entries == expected.bytes)
        #expect(try EventStream.validateEntries(stream.entries) == 2)
        #expect(try EventStream(tag: "x", validating: stream.entries).count == 2)
    }

    @Test func decodedEntriesGiveTimesAndRecords() throws {
        let entries = try Self.sample().decodedEntries()
        #expect(entries.map(\.time) == [Self.t1, Self.t2])
        #expect(entries.map(\.record) == [.record(["message": "a", "n": 1]), .record(["message": "b"])])
    }

    @Test func forEachEntryContinuesWhateverTheBodyReads() throws {
        var seen: [EventTime] = []
        var firstKeys: [String] = []
        try Self.sample().forEachEntry { time, reader in
            seen.append(time)
            if time == Self.t1 {
                _ = try reader.readMapHeader()
                firstKeys.append(try reader.readString())  // reads part of the record only
            }
        }
        #expect(seen == [Self.t1, Self.t2])
        #expect(firstKeys == ["message"])
    }

    @Test func forEachEntryPropagatesTheBodysError() {
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try Self.sample().forEachEntry { _, _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }

    @Test func builderAppendsEncodedEntriesAndTakes() throws {
        let first = Self.sample()
        var builder = EventStreamBuilder(tag: "app.web", capacity: 16)
        builder.append(encodedEntries: first.entries, count: first.count)
        #expect(builder.count == 2)
        #expect(builder.byteCount == first.entries.count)
        let taken = builder.take()
        #expect(taken == first)
        #expect(builder.count == 0)
        #expect(builder.byteCount == 0)
        #expect(builder.build().isEmpty)
        #expect(builder.tag == "app.web")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var testDescription: String { name }
    }

    static let bad: [Bad] = {
        let good = sample().entries
        var cases = [
            Bad(name: "entry is not an array", bytes: MessagePackValue.record(["a": 1]).encoded),
            Bad(name: "entry of three elements", bytes: MessagePackValue.array([1, .record([:]), 3]).encoded),
            Bad(name: "entry of one element", bytes: MessagePackValue.array([1]).encoded),
            Bad(name: "time is a string", bytes: MessagePackValue.array(["1", .record([:])]).encoded),
            Bad(name: "time is negative", bytes: MessagePackValue.array([.int(-1), .record([:])]).encoded),
            Bad(name: "record is an array", bytes: MessagePackValue.array([1, [1]]).encoded),
            Bad(name: "record is a string", bytes: MessagePackValue.array([1, "x"]).encoded),
            Bad(name: "record is nil", bytes: MessagePackValue.array([1, .nil]).encoded),
            Bad(name: "trailing garbage", bytes: good + [0xc1]),
            Bad(name: "trailing scalar", bytes: good + [0x01]),
            Bad(name: "record holds 0xc1", bytes: [0x92, 0x01, 0x81, 0xa1, 0x61, 0xc1]),
        ]
        // Every cut except the one between the two entries, where the prefix is one whole entry.
        var first = EventStreamBuilder(tag: "app.web")
        first.append(time: t1, record: .record(["message": "a", "n": 1]))
        let boundary = first.build().entries.count
        for length in 1..<good.count where length != boundary {
            cases.append(Bad(name: "truncated at \(length)", bytes: Array(good.prefix(length))))
        }
        return cases
    }()

    @Test(arguments: bad)
    func validateEntriesRejects(_ c: Bad) {
        #expect(throws: MessagePackError.self) { try EventStream.validateEntries(c.bytes) }
        #expect(throws: MessagePackError.self) { try EventStream(tag: "t", entries: c.bytes, count: 1).forEachEntry { _, _ in } }
    }

    @Test func emptyEntriesAreAValidEmptyStream() throws {
        #expect(try EventStream.validateEntries([]) == 0)
        #expect(try EventStream(tag: "t", validating: []).isEmpty)
    }

    @Test func integerAndFloatTimesAreAccepted() throws {
        var writer = MessagePackWriter()
        writer.write(MessagePackValue.array([5, .record(["a": 1])]))
        writer.write(MessagePackValue.array([.double(1.25), .record([:])]))
        let stream = try EventStream(tag: "t", validating: writer.bytes)
        #expect(try stream.decodedEntries().map(\.time) == [EventTime(seconds: 5), EventTime(seconds: 1, nanoseconds: 250_000_000)])
    }
}
