#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Calendar arithmetic without Foundation: days since the epoch from a proleptic Gregorian date
/// (Howard Hinnant's `days_from_civil`), and the local UTC offset of an instant.
enum CivilTime {
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// The year (UTC) of a Unix time.
    static func year(ofUnixSeconds seconds: Int) -> Int {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return Int(parts.tm_year) + 1900
    }

    /// The system time zone's offset from UTC, in seconds, at a local wall-clock time given as if it were UTC.
    static func localOffset(atWallClockSeconds wall: Int) -> Int {
        var t = time_t(wall)
        var parts = tm()
        localtime_r(&t, &parts)
        let first = Int(parts.tm_gmtoff)
        // Re-evaluate at the corrected instant so a wall time near a DST change lands right.
        t = time_t(wall - first)
        localtime_r(&t, &parts)
        return Int(parts.tm_gmtoff)
    }
}
