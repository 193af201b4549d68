/// A point in time as Fluentd carries it: whole seconds since the Unix epoch plus nanoseconds.
///
/// On the wire it is MessagePack extension type 0 with 8 bytes of payload: big-endian
/// uint32 seconds, then big-endian uint32 nanoseconds
/// (Forward protocol v1, "EventTime Ext Format").
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The MessagePack extension type code of EventTime.
    public static let extensionType: Int8 = 0

    public var seconds: UInt32
    public var nanoseconds: UInt32

    public init(seconds: UInt32, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// From fractional seconds since the epoch (a float time in a Forward message), to the nearest
    /// nanosecond. Times before the epoch become 0 and times past 2106 the last second; NaN becomes 0.
    public init(timeInterval: Double) {
        guard timeInterval > 0 else {  // also NaN
            self.init(seconds: 0)
            return
        }
        guard timeInterval < Double(UInt32.max) + 1 else {
            self.init(seconds: UInt32.max, nanoseconds: 999_999_999)
            return
        }
        let whole = timeInterval.rounded(.down)
        var seconds = UInt32(whole)
        var nanoseconds = UInt32(((timeInterval - whole) * 1_000_000_000).rounded())
        if nanoseconds >= 1_000_000_000 {  // 1.9999999999 rounds up to the next second
            if seconds == UInt32.max {
                nanoseconds = 999_999_999
            } else {
                seconds += 1
                nanoseconds = 0
            }
        }
        self.init(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// The current wall-clock time. Logic that must be testable takes a time instead of calling this.
    public static func now() -> EventTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return EventTime(seconds: UInt32(truncatingIfNeeded: ts.tv_sec), nanoseconds: UInt32(ts.tv_nsec))
    }

    public var timeInterval: Double { Double(seconds) + Double(nanoseconds) / 1_000_000_000 }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    public var description: String {
        let nanos = String(nanoseconds)
        return "\(seconds).\(String(repeating: "0", count: 9 - nanos.count))\(nanos)"
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
