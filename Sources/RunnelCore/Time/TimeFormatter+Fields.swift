/// The directives of `TimeFormatter`: parsing a format once, writing each field.
extension TimeFormatter {
    enum Field: Sendable, Equatable {
        case year, century, year2, isoYear, isoYear2, month, day, dayOfYear
        case hour, hour12, minute, second, amPm(lower: Bool)
        case weekdayFromMonday, weekdayFromSunday, weekOfYearSunday, weekOfYearMonday, isoWeek
        case monthName(full: Bool), weekdayName(full: Bool)
        case epoch, fraction(digits: Int), offset(colon: Bool), zoneName

        /// The width and padding a directive has without flags.
        var defaultStyle: Style {
            switch self {
            case .year, .isoYear: return Style(width: 4, pad: UInt8(ascii: "0"))
            case .century, .year2, .isoYear2, .month, .day, .hour, .hour12, .minute, .second,
                .weekOfYearSunday, .weekOfYearMonday, .isoWeek:
                return Style(width: 2, pad: UInt8(ascii: "0"))
            case .dayOfYear: return Style(width: 3, pad: UInt8(ascii: "0"))
            default: return Style(width: 0, pad: nil)
            }
        }
    }

    struct Style: Sendable, Equatable {
        var width: Int
        var pad: UInt8?
        var upper = false
    }

    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case field(Field, Style)
    }

    /// The directive letters Ruby's strftime knows, by the field or the format they stand for.
    static func directive(_ letter: UInt8, colon: Bool, width: Int?) -> (field: Field?, expansion: String?)? {
        switch letter {
        case UInt8(ascii: "Y"): return (.year, nil)
        case UInt8(ascii: "C"): return (.century, nil)
        case UInt8(ascii: "y"): return (.year2, nil)
        case UInt8(ascii: "G"): return (.isoYear, nil)
        case UInt8(ascii: "g"): return (.isoYear2, nil)
        case UInt8(ascii: "m"): return (.month, nil)
        case UInt8(ascii: "d"): return (.day, nil)
        case UInt8(ascii: "e"): return (.day, nil)
        case UInt8(ascii: "j"): return (.dayOfYear, nil)
        case UInt8(ascii: "H"), UInt8(ascii: "k"): return (.hour, nil)
        case UInt8(ascii: "I"), UInt8(ascii: "l"): return (.hour12, nil)
        case UInt8(ascii: "M"): return (.minute, nil)
        case UInt8(ascii: "S"): return (.second, nil)
        case UInt8(ascii: "p"): return (.amPm(lower: false), nil)
        case UInt8(ascii: "P"): return (.amPm(lower: true), nil)
        case UInt8(ascii: "u"): return (.weekdayFromMonday, nil)
        case UInt8(ascii: "w"): return (.weekdayFromSunday, nil)
        case UInt8(ascii: "U"): return (.weekOfYearSunday, nil)
        case UInt8(ascii: "W"): return (.weekOfYearMonday, nil)
        case UInt8(ascii: "V"): return (.isoWeek, nil)
        case UInt8(ascii: "b"), UInt8(ascii: "h"): return (.monthName(full: false), nil)
        case UInt8(ascii: "B"): return (.monthName(full: true), nil)
        case UInt8(ascii: "a"): return (.weekdayName(full: false), nil)
        case UInt8(ascii: "A"): return (.weekdayName(full: true), nil)
        case UInt8(ascii: "s"): return (.epoch, nil)
        case UInt8(ascii: "N"): return (.fraction(digits: width ?? 9), nil)
        case UInt8(ascii: "L"): return (.fraction(digits: width ?? 3), nil)
        case UInt8(ascii: "z"): return (.offset(colon: colon), nil)
        case UInt8(ascii: "Z"): return (.zoneName, nil)
        case UInt8(ascii: "F"): return (nil, "%Y-%m-%d")
        case UInt8(ascii: "T"), UInt8(ascii: "X"): return (nil, "%H:%M:%S")
        case UInt8(ascii: "D"), UInt8(ascii: "x"): return (nil, "%m/%d/%y")
        case UInt8(ascii: "R"): return (nil, "%H:%M")
        case UInt8(ascii: "r"): return (nil, "%I:%M:%S %p")
        case UInt8(ascii: "c"): return (nil, "%a %b %e %H:%M:%S %Y")
        case UInt8(ascii: "n"): return (nil, "\n")
        case UInt8(ascii: "t"): return (nil, "\t")
        default: return nil
        }
    }

    static func parse(_ format: String) -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        let bytes = Array(format.utf8)
        var i = 0
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)); literal = [] }
        }
        while i < bytes.count {
            let start = i
            guard bytes[i] == UInt8(ascii: "%"), i + 1 < bytes.count else {
                literal.append(bytes[i])
                i += 1
                continue
            }
            i += 1
            if bytes[i] == UInt8(ascii: "%") {
                literal.append(UInt8(ascii: "%"))
                i += 1
                continue
            }
            var pad: UInt8?? = nil
            var upper = false
            flags: while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "-"): pad = .some(nil)
                case UInt8(ascii: "_"): pad = UInt8(ascii: " ")
                case UInt8(ascii: "0"): pad = UInt8(ascii: "0")
                case UInt8(ascii: "^"): upper = true
                default: break flags
                }
                i += 1
            }
            var width: Int?
            while i < bytes.count, bytes[i] &- 48 < 10 {
                width = (width ?? 0) * 10 + Int(bytes[i] &- 48)
                i += 1
            }
            var colon = false
            if i < bytes.count, bytes[i] == UInt8(ascii: ":") {
                colon = true
                i += 1
            }
            guard i < bytes.count, let known = directive(bytes[i], colon: colon, width: width),
                !colon || bytes[i] == UInt8(ascii: "z")
            else {
                // Not a directive: written as it stands, as Ruby does.
                literal.append(contentsOf: bytes[start..<min(i + 1, bytes.count)])
                i += 1
                continue
            }
            let letter = bytes[i]
            i += 1
            if let expansion = known.expansion {
                flush()
                tokens.append(contentsOf: parse(expansion))
                continue
            }
            guard let field = known.field else { continue }
            var style = field.defaultStyle
            if letter == UInt8(ascii: "e") || letter == UInt8(ascii: "k") || letter == UInt8(ascii: "l") {
                style.pad = UInt8(ascii: " ")
            }
            if case .fraction = field {} else if let width { style.width = width }
            if let pad { style.pad = pad }
            style.upper = upper
            flush()
            tokens.append(.field(field, style))
        }
        flush()
        return tokens
    }

    func appendField(
        _ field: Field, _ style: Style, _ t: BrokenDownTime, unixSeconds: Int, nanoseconds: Int, offset: Int,
        zoneName: String, to out: inout [UInt8]
    ) {
        func number(_ value: Int) { Self.appendNumber(value, width: style.width, pad: style.pad, to: &out) }
        func text(_ value: String) {
            var bytes = Array(value.utf8)
            if style.upper { bytes = bytes.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 } }
            if bytes.count < style.width {
                out.append(contentsOf: repeatElement(style.pad ?? UInt8(ascii: " "), count: style.width - bytes.count))
            }
            out.append(contentsOf: bytes)
        }
        switch field {
        case .year: number(t.year)
        case .century: number(t.year >= 0 ? t.year / 100 : (t.year - 99) / 100)
        case .year2: number(((t.year % 100) + 100) % 100)
        case .isoYear: number(t.isoWeek.year)
        case .isoYear2: number(((t.isoWeek.year % 100) + 100) % 100)
        case .month: number(t.month)
        case .day: number(t.day)
        case .dayOfYear: number(t.dayOfYear)
        case .hour: number(t.hour)
        case .hour12: number(t.hour % 12 == 0 ? 12 : t.hour % 12)
        case .minute: number(t.minute)
        case .second: number(t.second)
        case .amPm(let lower): text(t.hour < 12 ? (lower ? "am" : "AM") : (lower ? "pm" : "PM"))
        case .weekdayFromMonday: number(t.weekday == 0 ? 7 : t.weekday)
        case .weekdayFromSunday: number(t.weekday)
        case .weekOfYearSunday: number((t.dayOfYear - 1 + 7 - t.weekday) / 7)
        case .weekOfYearMonday: number((t.dayOfYear - 1 + 7 - (t.weekday + 6) % 7) / 7)
        case .isoWeek: number(t.isoWeek.week)
        case .monthName(let full):
            let name = Self.monthNames[t.month - 1]
            text(full ? name : String(name.prefix(3)))
        case .weekdayName(let full):
            let name = Self.weekdayNames[t.weekday]
            text(full ? name : String(name.prefix(3)))
        case .epoch: number(unixSeconds)
        case .fraction(let digits):
            var value = nanoseconds
            if digits < 9 { for _ in digits..<9 { value /= 10 } }
            Self.appendNumber(value, width: min(digits, 9), pad: UInt8(ascii: "0"), to: &out)
            if digits > 9 { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits - 9)) }
        case .offset(let colon): UTCOffset.append(offset, colon: colon, to: &out)
        case .zoneName:
            switch zone {
            case .local: text(zoneName)
            case .fixed(0): text("UTC")
            case .fixed: UTCOffset.append(offset, colon: false, to: &out)
            }
        }
    }

    /// Decimal digits of `value`, padded on the left to `width` with `pad` (nil: no padding).
    @inline(__always)
    static func appendNumber(_ value: Int, width: Int, pad: UInt8?, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        var digits = 1
        var divisor: UInt = 1
        while magnitude / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        if let pad, digits < width {
            for _ in digits..<width { out.append(pad) }
        }
        while divisor > 0 {
            out.append(UInt8(48 + magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
}

/// The calendar fields of a local time given as seconds since the epoch.
struct BrokenDownTime {
    var days: Int
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(unixSeconds: Int) {
        days = CivilTime.days(ofUnixSeconds: unixSeconds)
        let secondOfDay = unixSeconds - days * 86_400
        (year, month, day) = CivilTime.civilFromDays(days)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
    }

    /// 0 for Sunday.
    var weekday: Int { CivilTime.weekday(ofDays: days) }
    /// 1 for January 1st.
    var dayOfYear: Int { days - CivilTime.daysFromCivil(year: year, month: 1, day: 1) + 1 }

    /// ISO 8601 week number and the year it belongs to (`%V`, `%G`).
    var isoWeek: (year: Int, week: Int) {
        let isoWeekday = weekday == 0 ? 7 : weekday
        let week = (dayOfYear - isoWeekday + 10) / 7
        if week < 1 { return (year - 1, Self.isoWeeks(in: year - 1)) }
        if week > Self.isoWeeks(in: year) { return (year + 1, 1) }
        return (year, week)
    }

    static func isoWeeks(in year: Int) -> Int {
        func p(_ y: Int) -> Int { (y + y / 4 - y / 100 + y / 400) % 7 }
        return p(year) == 4 || p(year - 1) == 3 ? 53 : 52
    }
}
