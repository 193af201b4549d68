import RunnelCore

/// A compiled strptime-style format (Ruby's `Time.strptime` directives that Fluentd
/// configurations use), parsed straight from bytes: no DateFormatter, no allocations.
///
/// Supported: `%Y %y %m %d %e %j %H %k %I %l %M %S %p %b %h %B %a %A %z %Z %N %L %3N %6N %9N
/// %s %T %F %D %R %%`. A space in the format matches any run of spaces (as Ruby's does);
/// `%N`/`%L` read every digit present as the fraction, as Ruby and Fluent Bit do.
public struct TimeFormat: Sendable, Equatable {
    enum Element: Sendable, Equatable {
        case literal(UInt8)
        case spaces
        case year4, year2, month, day, dayOfYear, hour24, hour12, minute, second, amPm
        case monthName, weekdayName, zoneOffset, zoneName, fraction, epochSeconds
    }

    let elements: [Element]
    public let pattern: String

    public init(_ pattern: String) {
        self.pattern = pattern
        var elements: [Element] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        func expand(_ text: String) {
            elements.append(contentsOf: TimeFormat(text).elements)
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 1 < bytes.count {
                var d = bytes[i + 1]
                i += 2
                // Width flags such as %3N, %-d, %_m, and the colons of %:z / %::z (the offset reader
                // takes +hh, +hhmm and +hh:mm alike): the width only matters for fractions.
                while (d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9")) || d == UInt8(ascii: "-") || d == UInt8(ascii: "_")
                    || d == UInt8(ascii: ":"),
                    i < bytes.count
                {
                    d = bytes[i]
                    i += 1
                }
                switch d {
                case UInt8(ascii: "Y"): elements.append(.year4)
                case UInt8(ascii: "y"): elements.append(.year2)
                case UInt8(ascii: "m"): elements.append(.month)
                case UInt8(ascii: "d"), UInt8(ascii: "e"): elements.append(.day)
                case UInt8(ascii: "j"): elements.append(.dayOfYear)
                case UInt8(ascii: "H"), UInt8(ascii: "k"): elements.append(.hour24)
                case UInt8(ascii: "I"), UInt8(ascii: "l"): elements.append(.hour12)
                case UInt8(ascii: "M"): elements.append(.minute)
                case UInt8(ascii: "S"): elements.append(.second)
                case UInt8(ascii: "p"), UInt8(ascii: "P"): elements.append(.amPm)
                case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): elements.append(.monthName)
                case UInt8(ascii: "a"), UInt8(ascii: "A"): elements.append(.weekdayName)
                case UInt8(ascii: "z"): elements.append(.zoneOffset)
                case UInt8(ascii: "Z"): elements.append(.zoneName)
                case UInt8(ascii: "N"), UInt8(ascii: "L"): elements.append(.fraction)
                case UInt8(ascii: "s"): elements.append(.epochSeconds)
                case UInt8(ascii: "T"): expand("%H:%M:%S")
                case UInt8(ascii: "F"): expand("%Y-%m-%d")
                case UInt8(ascii: "D"): expand("%m/%d/%y")
                case UInt8(ascii: "R"): expand("%H:%M")
                case UInt8(ascii: "%"): elements.append(.literal(UInt8(ascii: "%")))
                default: elements.append(.literal(d))
                }
            } else if b == UInt8(ascii: " ") {
                elements.append(.spaces)
                i += 1
            } else {
                elements.append(.literal(b))
                i += 1
            }
        }
        self.elements = elements
    }

    /// The fields read from a time string; missing ones keep their defaults.
    struct Fields {
        var year: Int?
        var month = 1
        var day = 1
        var dayOfYear: Int?
        var hour = 0
        var minute = 0
        var second = 0
        var pm: Bool?
        var nanoseconds = 0
        var offset: Int?
        var epoch: Int?
    }

    /// Reads the whole of `bytes`; nil when it does not match.
    func scan(_ bytes: UnsafeRawBufferPointer) -> Fields? {
        var fields = Fields()
        var i = 0
        let n = bytes.count

        @inline(__always) func digits(max: Int) -> Int? {
            var value = 0
            var read = 0
            while read < max, i < n, bytes[i] &- 48 < 10 {
                // 19 digits (%s) can pass Int.max: such a number is no time, not a trap.
                let (tens, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = tens.addingReportingOverflow(Int(bytes[i] &- 48))
                guard !overflow, !carry else { return nil }
                value = sum
                i += 1
                read += 1
            }
            return read == 0 ? nil : value
        }
        @inline(__always) func skipSpaces() { while i < n, bytes[i] == 32 { i += 1 } }

        for element in elements {
            switch element {
            case .literal(let b):
                guard i < n, bytes[i] == b else { return nil }
                i += 1
            case .spaces:
                skipSpaces()
            case .year4:
                var negative = false
                if i < n, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
                guard let y = digits(max: 4) else { return nil }
                fields.year = negative ? -y : y
            case .year2:
                guard let y = digits(max: 2) else { return nil }
                fields.year = y < 69 ? 2000 + y : 1900 + y
            case .month:
                guard let m = digits(max: 2), (1...12).contains(m) else { return nil }
                fields.month = m
            case .day:
                skipSpaces()
                guard let d = digits(max: 2), (1...31).contains(d) else { return nil }
                fields.day = d
            case .dayOfYear:
                guard let d = digits(max: 3), (1...366).contains(d) else { return nil }
                fields.dayOfYear = d
            case .hour24, .hour12:
                skipSpaces()
                guard let h = digits(max: 2), h <= 24 else { return nil }
                fields.hour = h
            case .minute:
                guard let m = digits(max: 2), m <= 59 else { return nil }
                fields.minute = m
            case .second:
                guard let s = digits(max: 2), s <= 60 else { return nil }
                fields.second = min(s, 59)
            case .amPm:
                guard i + 1 < n else { return nil }
                let c = bytes[i] | 0x20
                guard c == UInt8(ascii: "a") || c == UInt8(ascii: "p"), bytes[i + 1] | 0x20 == UInt8(ascii: "m") else { return nil }
                fields.pm = c == UInt8(ascii: "p")
                i += 2
            case .monthName:
                guard let (month, length) = TimeFormat.monthName(bytes, at: i) else { return nil }
                fields.month = month
                i += length
            case .weekdayName:
                let start = i
                while i < n, (bytes[i] | 0x20) >= UInt8(ascii: "a"), (bytes[i] | 0x20) <= UInt8(ascii: "z") { i += 1 }
                guard i - start >= 3 else { return nil }
            case .zoneOffset:
                guard let (offset, length) = UTCOffset.scan(bytes, at: i) else { return nil }
                fields.offset = offset
                i += length
            case .zoneName:
                if let (offset, length) = UTCOffset.scan(bytes, at: i) {
                    fields.offset = offset
                    i += length
                } else {
                    let start = i
                    while i < n, (bytes[i] | 0x20) >= UInt8(ascii: "a"), (bytes[i] | 0x20) <= UInt8(ascii: "z") { i += 1 }
                    let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                    if name == "UTC" || name == "GMT" || name == "Z" { fields.offset = 0 }
                    guard i > start else { return nil }
                }
            case .fraction:
                var nanos = 0
                var read = 0
                while i < n, bytes[i] &- 48 < 10 {
                    if read < 9 { nanos = nanos * 10 + Int(bytes[i] &- 48) }
                    read += 1
                    i += 1
                }
                guard read > 0 else { return nil }
                for _ in read..<max(read, 9) { nanos *= 10 }
                fields.nanoseconds = nanos
            case .epochSeconds:
                var negative = false
                if i < n, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
                guard let s = digits(max: 19) else { return nil }
                fields.epoch = negative ? -s : s
            }
        }
        guard i == n else { return nil }
        if let pm = fields.pm {
            if fields.hour == 12 { fields.hour = pm ? 12 : 0 } else if pm { fields.hour += 12 }
        }
        return fields
    }

    static let monthNames: [[UInt8]] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ].map { Array($0.utf8) }
    static let fullMonthNames: [[UInt8]] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    ].map { Array($0.utf8) }

    static func monthName(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (Int, Int)? {
        guard i + 3 <= bytes.count else { return nil }
        for (index, name) in monthNames.enumerated()
        where bytes[i] | 0x20 == name[0] && bytes[i + 1] | 0x20 == name[1] && bytes[i + 2] | 0x20 == name[2] {
            let full = fullMonthNames[index]
            if i + full.count <= bytes.count, (0..<full.count).allSatisfy({ bytes[i + $0] | 0x20 == full[$0] }) {
                return (index + 1, full.count)
            }
            return (index + 1, 3)
        }
        return nil
    }
}
