import RunnelCore
import Testing
@testable import RunnelParsers

struct TimeParserTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var format: String
        var seconds: UInt32?
        var nanos: UInt32 = 0
        var description: String { "\(text) / \(format)" }
    }

    static let cases: [Case] = [
        Case(text: "2023-11-14T22:13:20Z", format: "%Y-%m-%dT%H:%M:%S%z", seconds: 1_700_000_000),
        Case(text: "2023-11-14T23:13:20+01:00", format: "%Y-%m-%dT%H:%M:%S%z", seconds: 1_700_000_000),
        Case(text: "2023-11-14T22:13:20.123456789Z", format: "%Y-%m-%dT%H:%M:%S.%N%z", seconds: 1_700_000_000, nanos: 123_456_789),
        Case(text: "2023-11-14T22:13:20.5Z", format: "%Y-%m-%dT%H:%M:%S.%L%z", seconds: 1_700_000_000, nanos: 500_000_000),
        Case(text: "14/Nov/2023:17:13:20 -0500", format: "%d/%b/%Y:%H:%M:%S %z", seconds: 1_700_000_000),
        Case(text: "Nov 14 22:13:20", format: "%b %d %H:%M:%S", seconds: 1_700_000_000),
        Case(text: "Nov  4 22:13:20", format: "%b %d %H:%M:%S", seconds: 1_700_000_000 - 10 * 86400),
        Case(text: "1700000000", format: "%s", seconds: 1_700_000_000),
        Case(text: "2023-11-14 10:13:20 PM", format: "%Y-%m-%d %I:%M:%S %p", seconds: 1_700_000_000),
        Case(text: "2023-11-14T22:13:20", format: "%FT%T", seconds: 1_700_000_000),
        Case(text: "not a time", format: "%Y-%m-%d", seconds: nil),
        Case(text: "9999999999999999999", format: "%s", seconds: nil),
        Case(text: "2023-13-14", format: "%Y-%m-%d", seconds: nil),
        Case(text: "2023-11-14T22:13:20Zjunk", format: "%Y-%m-%dT%H:%M:%S%z", seconds: nil),
    ]

    @Test(arguments: cases)
    func parsesFormat(_ c: Case) {
        let time = utc(c.text, c.format)
        #expect(time?.seconds == c.seconds)
        if c.seconds != nil { #expect(time?.nanoseconds == c.nanos) }
    }

    @Test(arguments: ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20.000Z", "2023-11-14 22:13:20 +0000", "1700000000"])
    func guessesWithoutFormat(_ text: String) {
        let parser = TimeParser(zone: .fixed(offsetSeconds: 0))
        #expect(parser.parse(text, now: fixedNow)?.seconds == 1_700_000_000)
    }

    @Test func unixtimeAndFloatTypes() {
        #expect(TimeParser(type: .float).parse("1700000000.25", now: fixedNow) == EventTime(seconds: 1_700_000_000, nanoseconds: 250_000_000))
        #expect(TimeParser(type: .unixtime).parse("1700000000", now: fixedNow) == EventTime(seconds: 1_700_000_000))
        #expect(TimeParser(type: .unixtime).parse("abc", now: fixedNow) == nil)
    }

    @Test func fixedTimezone() {
        let parser = TimeParser(format: "%Y-%m-%d %H:%M:%S", zone: .fixed(offsetSeconds: UTCOffset.parse("+09:00")!))
        #expect(parser.parse("2023-11-15 07:13:20", now: fixedNow)?.seconds == 1_700_000_000)
    }
}
