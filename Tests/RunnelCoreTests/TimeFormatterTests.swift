#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import RunnelCore
import Testing

@Suite struct TimeFormatterTests {
    @Test(arguments: [
        ("%Y-%m-%dT%H:%M:%S.%N%z", 0, "2023-11-14T22:13:20.123456789+0000"),
        ("%Y-%m-%dT%H:%M:%S%z", -5 * 3600, "2023-11-14T17:13:20-0500"),
        ("%F %T.%L", 0, "2023-11-14 22:13:20.123"),
        ("%d/%b/%Y:%H:%M:%S %z (%a) %j %s %%", 0, "14/Nov/2023:22:13:20 +0000 (Tue) 318 1700000000 %"),
        ("%6N|%:z|%Z", 3600, "123456|+01:00|+0100"),
        // Ruby's %N with more than 9 digits pads with zeros on the right; %Z at offset 0 is UTC.
        ("%12N|%Z|%q|%", 0, "123456789000|UTC|%q|%"),
        ("%-m/%-d %_H|%^b|%5N", 9 * 3600, "11/15  7|NOV|12345"),
    ])
    func formats(format: String, offset: Int, expected: String) {
        let time = EventTime(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        #expect(TimeFormatter(format: format, utcOffset: offset).string(time) == expected)
    }

    @Test func civilDatesAcrossLeapYears() {
        #expect(TimeFormatter(format: "%F", utcOffset: 0).string(EventTime(seconds: 951_782_400)) == "2000-02-29")
        #expect(TimeFormatter(format: "%F %T", utcOffset: 0).string(EventTime(seconds: 0)) == "1970-01-01 00:00:00")
        #expect(TimeFormatter(format: "%F %T", utcOffset: 0).string(unixSeconds: -1) == "1969-12-31 23:59:59")
    }

    /// The C library's strftime is the oracle for every directive both know (C locale, UTC
    /// broken-down time shifted by the offset), over dates that cross leap days, year ends and
    /// ISO week-year boundaries.
    @Test(arguments: [0, 9 * 3600, -(5 * 3600 + 1800)])
    func agreesWithTheCLibrary(offset: Int) {
        let format = "%Y %C %y %G %g %m %d %e %j %H %k %I %l %M %S %p %P %u %w %U %W %V %b %h %B %a %A|%F %T %D %R %r %c %x %X|%-d %_m %-H %^a %^B %-j"
        let formatter = TimeFormatter(format: format, utcOffset: offset)
        var seconds = 0
        while seconds < 4_102_444_800 {
            var shifted = time_t(seconds + offset)
            var parts = tm()
            gmtime_r(&shifted, &parts)
            var buffer = [CChar](repeating: 0, count: 512)
            let written = strftime(&buffer, buffer.count, format, &parts)
            let expected = String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(formatter.string(unixSeconds: seconds) == expected, "at \(seconds)")
            seconds += 86_400 * 3 + 3_671
        }
    }

    @Test func localZoneFollowsTheMachine() {
        let formatter = TimeFormatter(format: "%H %z %Z", zone: .local)
        for seconds in [0, 1_700_000_000, 1_720_000_000] {
            var t = time_t(seconds)
            var parts = tm()
            localtime_r(&t, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let written = strftime(&buffer, buffer.count, "%H %z %Z", &parts)
            #expect(formatter.string(unixSeconds: seconds) == String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
}

@Suite struct UTCOffsetTests {
    @Test(arguments: [
        ("+09:00", 32_400), ("-0130", -5_400), ("+0530", 19_800), ("-07", -25_200), ("UTC", 0), ("Z", 0), ("GMT", 0),
        ("Etc/UTC", 0),
    ])
    func parsesFixedOffsets(text: String, seconds: Int) {
        #expect(UTCOffset.parse(text) == seconds)
    }

    @Test(arguments: ["Tokyo", "Asia/Tokyo", "+9", "+09:0", "0900", "+09:00 ", ""])
    func rejectsOtherText(text: String) {
        #expect(UTCOffset.parse(text) == nil)
    }

    @Test func writesBothForms() {
        #expect(UTCOffset.string(-(5 * 3600 + 1800)) == "-0530")
        #expect(UTCOffset.string(9 * 3600, colon: true) == "+09:00")
        #expect(UTCOffset.string(0) == "+0000")
    }
}

@Suite struct CivilTimeTests {
    @Test func daysRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let date = CivilTime.civilFromDays(days)
            #expect(CivilTime.daysFromCivil(year: date.year, month: date.month, day: date.day) == days)
        }
        let epoch = CivilTime.civilFromDays(0)
        #expect(epoch.year == 1970 && epoch.month == 1 && epoch.day == 1)
        #expect(CivilTime.weekday(ofDays: 0) == 4)
        #expect(CivilTime.year(ofUnixSeconds: 1_700_000_000) == 2023)
        #expect(CivilTime.days(ofUnixSeconds: -1) == -1)
    }
}
