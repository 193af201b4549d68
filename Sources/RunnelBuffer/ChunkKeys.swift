import Foundation
import RunnelCore

/// The chunk keys of `<buffer tag,time,key>`: what a chunk is cut by.
public struct ChunkKeys: Sendable, Equatable {
    /// How `time` cuts: `timekey` periods, aligned in UTC or a fixed zone.
    public struct TimeKey: Sendable, Equatable {
        /// `timekey`: the period in seconds (Fluentd's default 1d).
        public var period: Int = 86400
        /// `timekey_wait`: how long after a period ends its chunk is still appended to (600 s).
        public var wait: Double = 600
        /// `timekey_use_utc`: strftime placeholders in UTC instead of local time.
        public var useUTC: Bool = false
        /// `timekey_zone`: a fixed offset such as `+0900`; nil means the local zone.
        public var zone: String?

        public init(period: Int = 86400, wait: Double = 600, useUTC: Bool = false, zone: String? = nil) {
            self.period = period
            self.wait = wait
            self.useUTC = useUTC
            self.zone = zone
        }

        /// Seconds east of UTC used to align periods and format placeholders.
        public func offset(at time: Int) -> Int {
            if useUTC { return 0 }
            if let zone, let parsed = ChunkKeys.parseZoneOffset(zone) { return parsed }
            return UTCOffset.localSeconds(at: time)
        }

        /// The start of the period holding `time`.
        public func periodStart(of time: Int) -> Int {
            let shifted = time + offset(at: time)
            let floored = shifted - ((shifted % period) + period) % period
            return floored - offset(at: time)
        }
    }

    public var tag: Bool
    public var time: TimeKey?
    /// Record keys: top-level names, or record accessors `$.a.b` / `$['a']['b']` / `$["a"]["b"]`
    /// (read through `RecordAccessor`, as Fluentd's chunk keys are).
    public var recordKeys: [String]

    public init(tag: Bool = true, time: TimeKey? = nil, recordKeys: [String] = []) {
        self.tag = tag
        self.time = time
        self.recordKeys = recordKeys
    }

    /// `<buffer>` with no argument: chunks are cut by nothing (one chunk stream for all tags).
    /// Fluentd's default when an output says nothing is `tag`; the section's argument replaces it.
    public static func parse(_ argument: String) -> (keys: ChunkKeys, invalid: [String]) {
        var keys = ChunkKeys(tag: false)
        var invalid: [String] = []
        for raw in argument.split(separator: ",") {
            let key = raw.trimmingCharacters(in: .whitespaces)
            if key.isEmpty { continue }
            switch key {
            case "tag": keys.tag = true
            case "time": keys.time = TimeKey()
            default:
                if key.hasPrefix("$") ? RecordAccessor(key) != nil : key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) {
                    keys.recordKeys.append(key)
                } else {
                    invalid.append(key)
                }
            }
        }
        return (keys, invalid)
    }

    /// `timekey_zone` as seconds east of UTC: a fixed offset (`+0900`, `-05:30`, `UTC`), or a zone
    /// name (`Asia/Tokyo`) at its offset now.
    static func parseZoneOffset(_ zone: String) -> Int? {
        if let fixed = UTCOffset.parse(zone) { return fixed }
        guard !zone.hasPrefix("+"), !zone.hasPrefix("-") else { return nil }
        return TimeZone(identifier: zone)?.secondsFromGMT()
    }
}
