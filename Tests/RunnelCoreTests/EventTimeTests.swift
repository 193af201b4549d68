import Testing
@testable import RunnelCore

/// Fluentd's EventTime: ext type 0, big-endian uint32 seconds and nanoseconds (Forward protocol v1).
struct EventTimeTests {
    static let times: [EventTime] = [
        EventTime(seconds: 0), EventTime(seconds: 1, nanoseconds: 1), EventTime(seconds: 1_511_836_993, nanoseconds: 814_351_757),
        EventTime(seconds: UInt32.max, nanoseconds: 999_999_999),
    ]

    @Test(arguments: times)
    func extensionRoundTrips(_ time: EventTime) throws {
        var writer = MessagePackWriter()
        writer.write(time)
        #expect(writer.bytes.count == 10)
        #expect(Array(writer.bytes.prefix(2)) == [0xd7, 0x00])
        let read = try MessagePackReader.withReader(writer.bytes) { reader in
            let t = try reader.readEventTime()
            #expect(reader.isAtEnd)
            return t
        }
        #expect(read == time)
        #expect(try MessagePackValue(decoding: writer.bytes) == .extension(type: 0, data: Array(writer.bytes[2...])))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var hex: String
        var expected: EventTime?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "fixext8 type 0", hex: "d7005a1c4e61308b51fd", expected: EventTime(seconds: 0x5a1c_4e61, nanoseconds: 0x308b_51fd)),
        Case(name: "ext8 of 8 bytes, type 0", hex: "c708005a1c4e6100000001", expected: EventTime(seconds: 0x5a1c_4e61, nanoseconds: 1)),
        Case(name: "positive fixint", hex: "05", expected: EventTime(seconds: 5)),
        Case(name: "uint32", hex: "ce5a1c4e61", expected: EventTime(seconds: 0x5a1c_4e61)),
        Case(name: "uint32 max", hex: "ceffffffff", expected: EventTime(seconds: UInt32.max)),
        Case(name: "uint64 small", hex: "cf0000000000000010", expected: EventTime(seconds: 16)),
        Case(name: "int8 positive", hex: "d005", expected: EventTime(seconds: 5)),
        Case(name: "float64", hex: "cb3ff8000000000000", expected: EventTime(seconds: 1, nanoseconds: 500_000_000)),
        Case(name: "float32", hex: "ca3fc00000", expected: EventTime(seconds: 1, nanoseconds: 500_000_000)),
        Case(name: "uint64 beyond uint32", hex: "cf0000000100000000", expected: nil),
        Case(name: "negative", hex: "ff", expected: nil),
        Case(name: "fixext8 of another type", hex: "d7015a1c4e61308b51fd", expected: nil),
        Case(name: "fixext4 type 0", hex: "d6005a1c4e61", expected: nil),
        Case(name: "ext8 of 4 bytes, type 0", hex: "c704005a1c4e61", expected: nil),
        Case(name: "string", hex: "a131", expected: nil),
        Case(name: "nil", hex: "c0", expected: nil),
        Case(name: "truncated ext", hex: "d7005a1c", expected: nil),
        Case(name: "empty", hex: "", expected: nil),
    ]

    @Test(arguments: cases)
    func readEventTimeAcceptsWhatFluentdAccepts(_ c: Case) {
        MessagePackReader.withReader(hexBytes(c.hex)) { reader in
            if let expected = c.expected {
                #expect((try? reader.readEventTime()) == expected)
                #expect(reader.isAtEnd)
            } else {
                #expect(throws: MessagePackError.self) { try reader.readEventTime() }
                #expect(reader.offset == 0, "a failed read leaves the reader where it was")
            }
        }
    }

    struct IntervalCase: Sendable, CustomTestStringConvertible {
        var interval: Double
        var expected: EventTime
        var testDescription: String { "\(interval)" }
    }

    static let intervals: [IntervalCase] = [
        IntervalCase(interval: 0, expected: EventTime(seconds: 0)),
        IntervalCase(interval: 1.5, expected: EventTime(seconds: 1, nanoseconds: 500_000_000)),
        IntervalCase(interval: 1_511_836_993.25, expected: EventTime(seconds: 1_511_836_993, nanoseconds: 250_000_000)),
        IntervalCase(interval: 1.9999999999, expected: EventTime(seconds: 2)),
        IntervalCase(interval: 0.000000001, expected: EventTime(seconds: 0, nanoseconds: 1)),
        IntervalCase(interval: -5, expected: EventTime(seconds: 0)),
        IntervalCase(interval: -.infinity, expected: EventTime(seconds: 0)),
        IntervalCase(interval: .nan, expected: EventTime(seconds: 0)),
        IntervalCase(interval: 1e20, expected: EventTime(seconds: UInt32.max, nanoseconds: 999_999_999)),
        IntervalCase(interval: .infinity, expected: EventTime(seconds: UInt32.max, nanoseconds: 999_999_999)),
        IntervalCase(interval: Double(UInt32.max) + 0.9999999999, expected: EventTime(seconds: UInt32.max, nanoseconds: 999_999_999)),
    ]

    @Test(arguments: intervals)
    func fromTimeInterval(_ c: IntervalCase) {
        #expect(EventTime(timeInterval: c.interval) == c.expected)
    }

    @Test func timeIntervalAndDescription() {
        let time = EventTime(seconds: 12, nanoseconds: 5)
        #expect(time.description == "12.000000005")
        #expect(EventTime(seconds: 1, nanoseconds: 500_000_000).timeInterval == 1.5)
        #expect(EventTime(seconds: 0).description == "0.000000000")
    }

    @Test func ordersBySecondsThenNanoseconds() {
        #expect(EventTime(seconds: 1, nanoseconds: 999_999_999) < EventTime(seconds: 2))
        #expect(EventTime(seconds: 2, nanoseconds: 1) > EventTime(seconds: 2))
        #expect(!(EventTime(seconds: 2) < EventTime(seconds: 2)))
    }

    @Test func nowIsAfterThisCodeWasWritten() {
        #expect(EventTime.now().seconds > 1_700_000_000)
        #expect(EventTime.now().nanoseconds < 1_000_000_000)
    }
}
