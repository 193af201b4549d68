/// Proleptic Gregorian calendar arithmetic on days since 1970-01-01, without Foundation
/// (Howard Hinnant's `days_from_civil` / `civil_from_days`). Strftime and strptime both count
/// days through it.
public enum CivilTime {
    /// Days since the epoch of a date; months and days outside their range roll over.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day counted from the epoch.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// 0 for Sunday through 6 for Saturday (1970-01-01 was a Thursday).
    public static func weekday(ofDays days: Int) -> Int { ((days % 7) + 7 + 4) % 7 }

    /// Days since the epoch of the day holding `seconds` (floor division: before 1970 too).
    public static func days(ofUnixSeconds seconds: Int) -> Int {
        seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    }

    /// The year (UTC) of a Unix time.
    public static func year(ofUnixSeconds seconds: Int) -> Int {
        civilFromDays(days(ofUnixSeconds: seconds)).year
    }
}
