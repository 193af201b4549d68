/// in_tail's parameters, with Fluentd's names and defaults (read in `+Config.swift`).
public struct TailInputConfiguration: Sendable {
    public enum SourceEncoding: String, Sendable, CaseIterable {
        case utf8 = "UTF-8"
        case binary = "ASCII-8BIT"
        case latin1 = "ISO-8859-1"
    }

    public var paths: [String]
    public var excludePaths: [String] = []
    public var globPolicy: PathExpander.GlobPolicy = .backwardCompatible
    public var limitRecentlyModified: Double?
    /// `path_timezone` as a fixed offset from UTC, in seconds.
    public var pathTimezoneOffset: Int?
    public var tag: String
    public var posFile: String?
    /// `<system> file_permission`: the pos file's mode.
    public var posFilePermission: UInt16 = 0o644
    public var posFileCompactionInterval: Double?
    public var readFromHead = false
    public var refreshInterval: Double = 60
    public var rotateWait: Double = 5
    public var followInodes = false
    public var readLinesLimit = 1000
    public var readBytesLimitPerSecond: Int = -1
    public var maxLineSize: Int?
    public var pathKey: String?
    public var skipRefreshOnStartup = false
    public var fromEncoding: SourceEncoding = .utf8
    public var emitUnmatchedLines = false
    public var ignoreRepeatedPermissionError = false
    public var enableWatchTimer = true
    public var enableStatWatcher = true
    public var multilineFlushInterval: Double?
    /// How often the watch timer looks at every file (Fluentd: 1 s, fixed). Not a Fluentd key; tests shorten it.
    public var watchInterval: Double = 1

    public init(paths: [String], tag: String) {
        self.paths = paths
        self.tag = tag
    }

    /// The tag of events from `path`: a `*` in `tag` becomes the path with `/` turned into `.`
    /// (`tail.*` + `/var/log/a.log` → `tail.var.log.a.log`).
    public func tag(for path: String) -> String {
        guard let star = tag.firstIndex(of: "*") else { return tag }
        var pathTag = path.replacingSlashes()
        while pathTag.contains("..") { pathTag = pathTag.replacingDoubleDots() }
        if pathTag.hasPrefix(".") { pathTag.removeFirst() }
        return String(tag[..<star]) + pathTag + String(tag[tag.index(after: star)...])
    }
}

extension String {
    fileprivate func replacingSlashes() -> String { String(map { $0 == "/" ? "." : $0 }) }
    fileprivate func replacingDoubleDots() -> String {
        var out = ""
        var previousDot = false
        for c in self {
            if c == "." && previousDot { continue }
            previousDot = c == "."
            out.append(c)
        }
        return out
    }
}
