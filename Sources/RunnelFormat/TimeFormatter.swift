#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RunnelCore

/// strftime for event times, with Ruby's `%N` / `%3N` / `%L` sub-second directives, writing
/// bytes without Foundation. The UTC offset is fixed when the formatter is made (Fluentd's
/// `localtime` / `utc` / `timezone +09:00`).
public struct TimeFormatter: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case year, year2, month, day, dayPadded, hour, minute, second, dayOfYear
        case fraction(digits: Int)
        case offset(colon: Bool)
        case zoneName
        case epoch
        case monthName, weekdayName
    }

    public let format: String
    /// Seconds east of UTC.
    public let utcOffset: Int
    let tokens: [Token]

    public init(format: String, utcOffset: Int) {
        self.format = format
        self.utcOffset = utcOffset
        self.tokens = TimeFormatter.parse(format)
    }

    /// The offset of the machine's local time zone now.
    public static func localOffset() -> Int {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return Int(parts.tm_gmtoff)
    }

    /// Parses `+09:00`, `-0500`, `UTC`, `Z`; nil if not an offset.
    public static func parseOffset(_ text: String) -> Int? {
        if text == "UTC" || text == "Z" || text == "GMT" { return 0 }
        var chars = Array(text.utf8)
        guard let sign = chars.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        chars.removeFirst()
        chars.removeAll { $0 == UInt8(ascii: ":") }
        guard chars.count == 4, chars.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let value = chars.map { Int($0) - 48 }
        let seconds = (value[0] * 10 + value[1]) * 3600 + (value[2] * 10 + value[3]) * 60
        return sign == UInt8(ascii: "+") ? seconds : -seconds
    }

    static func parse(_ format: String) -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        var bytes = Array(format.utf8)[...]
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)); literal = [] }
        }
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%"), let next = bytes.first else {
                literal.append(byte)
                continue
            }
            var directive = next
            var width: Int?
            var colon = false
            var consumed = 1
            if next >= UInt8(ascii: "1"), next <= UInt8(ascii: "9"), bytes.count >= 2 {
                width = Int(next - 48)
                directive = bytes[bytes.startIndex + 1]
                consumed = 2
            } else if next == UInt8(ascii: ":"), bytes.count >= 2, bytes[bytes.startIndex + 1] == UInt8(ascii: "z") {
                colon = true
                directive = UInt8(ascii: "z")
                consumed = 2
            }
            var produced: [Token] = []
            switch Character(Unicode.Scalar(directive)) {
            case "Y": produced = [.year]
            case "y": produced = [.year2]
            case "m": produced = [.month]
            case "d": produced = [.day]
            case "e": produced = [.dayPadded]
            case "H": produced = [.hour]
            case "M": produced = [.minute]
            case "S": produced = [.second]
            case "j": produced = [.dayOfYear]
            case "N": produced = [.fraction(digits: width ?? 9)]
            case "L": produced = [.fraction(digits: width ?? 3)]
            case "z": produced = [.offset(colon: colon)]
            case "Z": produced = [.zoneName]
            case "s": produced = [.epoch]
            case "b": produced = [.monthName]
            case "a": produced = [.weekdayName]
            case "F": produced = parse("%Y-%m-%d")
            case "T": produced = parse("%H:%M:%S")
            case "%": literal.append(UInt8(ascii: "%")); consumed = 1
            default: literal.append(byte); literal.append(next); consumed = 1
            }
            bytes = bytes.dropFirst(consumed)
            if !produced.isEmpty {
                flush()
                tokens.append(contentsOf: produced)
            }
        }
        flush()
        return tokens
    }

    /// Appends `time` formatted to `out`.
    public func append(_ time: EventTime, to out: inout [UInt8]) {
        let local = Int64(time.seconds) + Int64(utcOffset)
        let days = Int(local.dividedRounding(by: 86_400))
        let secondOfDay = Int(local - Int64(days) * 86_400)
        let (year, month, day) = TimeFormatter.civil(fromDays: days)
        for token in tokens {
            switch token {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .year: appendPadded(year, width: 4, to: &out)
            case .year2: appendPadded(year % 100, width: 2, to: &out)
            case .month: appendPadded(month, width: 2, to: &out)
            case .day: appendPadded(day, width: 2, to: &out)
            case .dayPadded:
                if day < 10 { out.append(UInt8(ascii: " ")) }
                appendPadded(day, width: 1, to: &out)
            case .hour: appendPadded(secondOfDay / 3600, width: 2, to: &out)
            case .minute: appendPadded(secondOfDay / 60 % 60, width: 2, to: &out)
            case .second: appendPadded(secondOfDay % 60, width: 2, to: &out)
            case .dayOfYear:
                appendPadded(days - TimeFormatter.days(fromYear: year, month: 1, day: 1) + 1, width: 3, to: &out)
            case .fraction(let digits):
                var value = Int(time.nanoseconds)
                if digits < 9 { for _ in digits..<9 { value /= 10 } }
                appendPadded(value, width: min(digits, 9), to: &out)
            case .offset(let colon):
                out.append(utcOffset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                let magnitude = abs(utcOffset)
                appendPadded(magnitude / 3600, width: 2, to: &out)
                if colon { out.append(UInt8(ascii: ":")) }
                appendPadded(magnitude / 60 % 60, width: 2, to: &out)
            case .zoneName:
                if utcOffset == 0 { out.append(contentsOf: Array("UTC".utf8)) } else {
                    TimeFormatter(format: "%z", utcOffset: utcOffset).append(time, to: &out)
                }
            case .epoch: JSONWriter.appendInteger(Int64(time.seconds), to: &out)
            case .monthName: out.append(contentsOf: TimeFormatter.monthNames[month - 1].utf8)
            case .weekdayName:
                // 1970-01-01 was a Thursday.
                let weekday = ((days % 7) + 7 + 4) % 7
                out.append(contentsOf: TimeFormatter.weekdayNames[weekday].utf8)
            }
        }
    }

    public func string(_ time: EventTime) -> String {
        var out: [UInt8] = []
        append(time, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var v = abs(value)
        repeat {
            digits.append(UInt8(48 + v % 10))
            v /= 10
        } while v > 0
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: digits.reversed())
    }

    /// Howard Hinnant's civil_from_days.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
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

    static func days(fromYear year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
}

extension Int64 {
    /// Floor division.
    fileprivate func dividedRounding(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
