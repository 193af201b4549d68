#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// strftime for event times with Ruby's semantics (Fluentd formats times with Ruby's
/// `Time#strftime`), writing bytes without Foundation or the C library's strftime: `%N` / `%3N`
/// / `%L` sub-second digits, `%z` / `%:z`, `%s`, and the GNU flags `-` (no padding), `_`
/// (spaces), `0` (zeros), `^` (upper case) with a width (`%-d`, `%_5H`).
///
/// The zone is fixed when the formatter is made (`utc`, `timezone +09:00`, `timekey_zone`, or
/// `localtime` resolved once at start-up), or `.local`: the machine's zone at each instant, as
/// Ruby's `Time#localtime` gives it (buffer placeholders and in_tail paths without a zone).
/// `%Z` is the zone's abbreviation in `.local`, `UTC` at offset 0, else the `%z` text.
public struct TimeFormatter: Sendable, Equatable {
    public enum Zone: Sendable, Equatable {
        /// Seconds east of UTC.
        case fixed(Int)
        /// The machine's zone at each formatted instant, DST included.
        case local
    }

    public let format: String
    public let zone: Zone
    let tokens: [Token]
    /// True when a token needs the zone's name (only `.local` looks it up).
    let namesZone: Bool

    public init(format: String, zone: Zone) {
        self.format = format
        self.zone = zone
        self.tokens = TimeFormatter.parse(format)
        self.namesZone = tokens.contains { if case .field(.zoneName, _) = $0 { return true } else { return false } }
    }

    /// A formatter at a fixed offset, seconds east of UTC.
    public init(format: String, utcOffset: Int) {
        self.init(format: format, zone: .fixed(utcOffset))
    }

    /// The fixed offset, or the machine's offset now for `.local`.
    public var utcOffset: Int {
        switch zone {
        case .fixed(let seconds): return seconds
        case .local: return UTCOffset.localSeconds(at: Int(time(nil)))
        }
    }

    /// Appends `time` formatted to `out`.
    public func append(_ time: EventTime, to out: inout [UInt8]) {
        append(unixSeconds: Int(time.seconds), nanoseconds: Int(time.nanoseconds), to: &out)
    }

    public func string(_ time: EventTime) -> String {
        var out: [UInt8] = []
        append(time, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of an instant given as Unix seconds (chunk time keys, the time a path is expanded at).
    public func string(unixSeconds: Int) -> String {
        var out: [UInt8] = []
        append(unixSeconds: unixSeconds, nanoseconds: 0, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func append(unixSeconds: Int, nanoseconds: Int, to out: inout [UInt8]) {
        let offset: Int
        var zoneName = ""
        switch zone {
        case .fixed(let seconds):
            offset = seconds
        case .local:
            if namesZone {
                (offset, zoneName) = UTCOffset.local(at: unixSeconds)
            } else {
                offset = UTCOffset.localSeconds(at: unixSeconds)
            }
        }
        let broken = BrokenDownTime(unixSeconds: unixSeconds + offset)
        for token in tokens {
            switch token {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .field(let field, let style):
                appendField(
                    field, style, broken, unixSeconds: unixSeconds, nanoseconds: nanoseconds,
                    offset: offset, zoneName: zoneName, to: &out)
            }
        }
    }
}
