#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// UTC offsets in seconds east of UTC: Fluentd's fixed `timezone` values read and written
/// (`+09:00`, `-0700`, `UTC`), and the machine's local offset at an instant.
public enum UTCOffset {
    /// A whole text that names a fixed offset: `UTC`, `GMT`, `Z`, `Etc/UTC`, `+hh`, `+hhmm`,
    /// `+hh:mm` (or `-`). Nil for anything else, zone names such as `Asia/Tokyo` included.
    public static func parse(_ text: String) -> Int? {
        if text == "UTC" || text == "GMT" || text == "Z" || text == "Etc/UTC" { return 0 }
        var text = text
        return text.withUTF8 { buffer -> Int? in
            let raw = UnsafeRawBufferPointer(buffer)
            guard let (offset, length) = scan(raw, at: 0), length == raw.count else { return nil }
            return offset
        }
    }

    /// strptime's `%z` at `i`: `Z`, `+hh`, `+hhmm`, `+hh:mm` (and `-`); the offset and the bytes read.
    public static func scan(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (seconds: Int, length: Int)? {
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "Z") || bytes[i] == UInt8(ascii: "z") { return (0, 1) }
        guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
        let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
        var j = i + 1
        func two() -> Int? {
            guard j + 1 < bytes.count, bytes[j] &- 48 < 10, bytes[j + 1] &- 48 < 10 else { return nil }
            defer { j += 2 }
            return Int(bytes[j] &- 48) * 10 + Int(bytes[j + 1] &- 48)
        }
        guard let hours = two() else { return nil }
        var minutes = 0
        if j < bytes.count, bytes[j] == UInt8(ascii: ":") {
            j += 1
            guard let m = two() else { return nil }
            minutes = m
        } else if let m = two() {
            minutes = m
        }
        return (sign * (hours * 3600 + minutes * 60), j - i)
    }

    /// Appends `+hhmm` (strftime `%z`) or `+hh:mm` (`%:z`).
    public static func append(_ seconds: Int, colon: Bool, to out: inout [UInt8]) {
        out.append(seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = abs(seconds)
        let hours = magnitude / 3600
        let minutes = magnitude / 60 % 60
        out.append(UInt8(48 + hours / 10 % 10))
        out.append(UInt8(48 + hours % 10))
        if colon { out.append(UInt8(ascii: ":")) }
        out.append(UInt8(48 + minutes / 10))
        out.append(UInt8(48 + minutes % 10))
    }

    /// `+hhmm` or `+hh:mm`.
    public static func string(_ seconds: Int, colon: Bool = false) -> String {
        var out: [UInt8] = []
        append(seconds, colon: colon, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The machine's zone at the instant `unixSeconds`: its offset and its abbreviation (`JST`).
    public static func local(at unixSeconds: Int) -> (seconds: Int, abbreviation: String) {
        var t = time_t(unixSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        let name = parts.tm_zone.map { String(cString: $0) } ?? ""
        return (Int(parts.tm_gmtoff), name)
    }

    /// The machine's offset at the instant `unixSeconds`.
    public static func localSeconds(at unixSeconds: Int) -> Int {
        var t = time_t(unixSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        return Int(parts.tm_gmtoff)
    }

    /// The machine's offset for a local wall-clock time given as if it were UTC (strptime
    /// without a zone in the text).
    public static func local(atWallClockSeconds wall: Int) -> Int {
        let first = localSeconds(at: wall)
        // Re-evaluate at the corrected instant so a wall time near a DST change lands right.
        return localSeconds(at: wall - first)
    }
}
