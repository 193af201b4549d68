import Testing
@testable import RunnelCore

/// The shared walk (`scanEntries`) and the add-fields-to-every-record helper (`settingFields`).
struct EventStreamToolkitTests {
    static func stream(_ records: [MessagePackValue]) -> EventStream {
        var builder = EventStreamBuilder(tag: "t")
        for (index, record) in records.enumerated() { builder.append(time: EventTime(seconds: UInt32(index)), record: record) }
        return builder.build()
    }

    @Test func scanStopsAtLimitsAndReportsWhy() {
        let entries = Self.stream([.record(["a": 1]), .record(["b": 2]), .record(["c": 3])]).entries
        let whole = EventStream.scanEntries(entries)
        #expect(whole == EventStream.EntryScan(count: 3, end: entries.count, error: nil))
        let one = EventStream.scanEntries(entries, maxCount: 1)
        #expect(one.count == 1 && one.error == nil)
        let fromSecond = EventStream.scanEntries(entries, from: one.end, maxBytes: one.end)
        #expect(fromSecond.count == 1 && fromSecond.end == 2 * one.end)
        #expect(EventStream.scanEntries(entries, maxBytes: one.end - 1).count == 0)
        let torn = EventStream.scanEntries(Array(entries.dropLast()))
        #expect(torn.count == 2 && torn.end == 2 * one.end && torn.error?.needsMoreInput == true)
        let damaged = EventStream.scanEntries(entries + [0x01])
        #expect(damaged.count == 3 && damaged.end == entries.count && damaged.error?.needsMoreInput == false)
    }

    @Test func unlessSetKeepsASetValueAndReplacesNilOrFalse() throws {
        let input = Self.stream([.record(["m": "x"]), .record(["path": "kept", "m": "y"]), .record(["path": .nil]), .record(["path": false])])
        let output = input.settingFields([("path", "/var/log/a")], merge: .unlessSet)
        #expect(
            try output.decodedEntries().map(\.record) == [
                .record(["m": "x", "path": "/var/log/a"]), .record(["path": "kept", "m": "y"]),
                .record(["path": "/var/log/a"]), .record(["path": "/var/log/a"]),
            ])
        #expect(output.count == 4 && output.tag == "t")
    }

    @Test func replaceOverwritesWhereTheKeyStands() throws {
        let input = Self.stream([.record(["docker": 1, "m": "y"]), .record(["m": "z"])])
        let output = input.settingFields([("docker", .record(["id": "c1"])), ("kubernetes", "k")], merge: .replace)
        #expect(
            try output.decodedEntries().map(\.record) == [
                .record(["docker": .record(["id": "c1"]), "m": "y", "kubernetes": "k"]),
                .record(["m": "z", "docker": .record(["id": "c1"]), "kubernetes": "k"]),
            ])
    }

    @Test func appendAddsPairsWithoutReadingKeysAndKeepsTimeBytes() throws {
        var writer = MessagePackWriter()
        writer.write(MessagePackValue.array([5, .record(["host": "old"])]))
        let input = try EventStream(tag: "t", validating: writer.bytes)
        let output = input.settingFields([("host", "10.0.0.1")], merge: .append)
        var expected = MessagePackWriter()
        expected.writeArrayHeader(count: 2)
        expected.write(MessagePackValue.uint(5))
        expected.writeMapHeader(count: 2)
        expected.write("host")
        expected.write("old")
        expected.write("host")
        expected.write("10.0.0.1")
        #expect(output.entries == expected.bytes)
    }

    @Test func noFieldsIsTheSameStream() {
        let input = Self.stream([.record(["a": 1])])
        #expect(input.settingFields([], merge: .replace) == input)
    }

    @Test func builderTakeHandsOverAndStartsAgain() {
        var builder = EventStreamBuilder()
        builder.append(time: EventTime(seconds: 1), fields: [("a", 1)])
        let first = builder.take(tag: "x")
        #expect(first.tag == "x" && first.count == 1 && builder.count == 0 && builder.byteCount == 0)
        #expect(builder.decoded().isEmpty)
    }
}
