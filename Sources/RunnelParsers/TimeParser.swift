import RunnelCore

/// Turns a time value from a log line into an `EventTime`, as Fluentd's `TimeParser` does:
/// `time_type` (`string`, `unixtime`, `float`), `time_format`, and the zone used when the text
/// carries none (`utc`, `timezone`, else `localtime`, Fluentd's default).
public struct TimeParser: Sendable {
    public enum TimeType: String, Sendable, CaseIterable {
        case string, unixtime, float
    }

    public enum Zone: Sendable, Equatable {
        case local
        case fixed(offsetSeconds: Int)
    }

    public var type: TimeType
    /// nil: Ruby's `Time.parse`-like guessing among common formats.
    public var format: TimeFormat?
    public var zone: Zone

    /// Formats tried in order when `time_format` is not set.
    static let guesses: [TimeFormat] = [String]([
        "%Y-%m-%dT%H:%M:%S.%N%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%N", "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%N %z", "%Y-%m-%d %H:%M:%S.%N%z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S.%N", "%Y-%m-%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S %z", "%b %d %H:%M:%S", "%b %d %Y %H:%M:%S",
        "%a %b %d %H:%M:%S %Y", "%a, %d %b %Y %H:%M:%S %z", "%Y/%m/%d %H:%M:%S",
    ]).map { TimeFormat($0) }

    public init(type: TimeType = .string, format: String? = nil, zone: Zone = .local) {
        self.type = type
        self.format = format.map { TimeFormat($0) }
        self.zone = zone
    }

    /// Parses the text of a time; `now` gives the year for formats without one (syslog).
    public func parse(_ bytes: UnsafeRawBufferPointer, now: EventTime) -> EventTime? {
        switch type {
        case .unixtime, .float:
            return TimeParser.parseNumber(bytes, fractional: type == .float)
        case .string:
            if let format {
                guard let fields = format.scan(bytes) else { return nil }
                return resolve(fields, now: now)
            }
            for guess in TimeParser.guesses {
                if let fields = guess.scan(bytes) { return resolve(fields, now: now) }
            }
            return TimeParser.parseNumber(bytes, fractional: true)
        }
    }

    public func parse(_ text: String, now: EventTime) -> EventTime? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), now: now) }
    }

    /// A time from a record value: strings as above, numbers as Unix time.
    public func parse(_ value: MessagePackValue, now: EventTime) -> EventTime? {
        switch value {
        case .string(let s): return parse(s, now: now)
        case .int(let i): return i >= 0 ? EventTime(seconds: UInt32(clamping: i)) : nil
        case .uint(let u): return EventTime(seconds: UInt32(clamping: u))
        case .double(let d): return EventTime(timeInterval: d)
        case .float(let f): return EventTime(timeInterval: Double(f))
        case .extension(let type, let data) where type == EventTime.extensionType && data.count == 8:
            let s = data[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let ns = data[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return EventTime(seconds: s, nanoseconds: ns)
        default: return nil
        }
    }

    func resolve(_ fields: TimeFormat.Fields, now: EventTime) -> EventTime? {
        if let epoch = fields.epoch {
            guard epoch >= 0, epoch <= Int(UInt32.max) else { return nil }
            return EventTime(seconds: UInt32(epoch), nanoseconds: UInt32(fields.nanoseconds))
        }
        let year = fields.year ?? CivilTime.year(ofUnixSeconds: Int(now.seconds))
        var days: Int
        if let dayOfYear = fields.dayOfYear {
            days = CivilTime.daysFromCivil(year: year, month: 1, day: 1) + dayOfYear - 1
        } else {
            days = CivilTime.daysFromCivil(year: year, month: fields.month, day: fields.day)
        }
        if fields.hour == 24 { days += 1 }
        let wall = days * 86400 + (fields.hour % 24) * 3600 + fields.minute * 60 + fields.second
        let offset: Int
        if let parsed = fields.offset {
            offset = parsed
        } else {
            switch zone {
            case .fixed(let seconds): offset = seconds
            case .local: offset = UTCOffset.local(atWallClockSeconds: wall)
            }
        }
        let seconds = wall - offset
        guard seconds >= 0, seconds <= Int(UInt32.max) else { return nil }
        return EventTime(seconds: UInt32(seconds), nanoseconds: UInt32(fields.nanoseconds))
    }

    /// `1700000000` or `1700000000.123`.
    static func parseNumber(_ bytes: UnsafeRawBufferPointer, fractional: Bool) -> EventTime? {
        var i = 0
        var seconds = 0
        var read = 0
        while i < bytes.count, bytes[i] &- 48 < 10, read < 12 {
            seconds = seconds * 10 + Int(bytes[i] &- 48)
            i += 1
            read += 1
        }
        guard read > 0, seconds <= Int(UInt32.max) else { return nil }
        var nanos = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < bytes.count, bytes[i] &- 48 < 10 {
                if digits < 9 { nanos = nanos * 10 + Int(bytes[i] &- 48) }
                digits += 1
                i += 1
            }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
            if !fractional { nanos = 0 }
        }
        guard i == bytes.count else { return nil }
        return EventTime(seconds: UInt32(seconds), nanoseconds: UInt32(nanos))
    }
}
