import Foundation
import Logging
import RunnelCore
import RunnelPipeline
import Synchronization

/// Runnel's own log lines on stderr, one line per event, in Fluentd's shape:
/// `2026-11-24 18:00:00.123 +0000 [warn]: message key=value key2=value2`, or with
/// `<system> <log> format json` one JSON object per line:
/// `{"time":"2026-11-24 18:00:00.123 +0000","level":"warn","message":"message","key":"value"}`.
///
/// Its level is the process's (`levels`: `<system> log_level`, or `-v`/`-q`) unless a logger
/// sets its own (a plugin's `@log_level`).
public struct RunnelLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    let label: String
    let sink: LogSink
    let levels: RunnelLogLevel
    private var ownLevel: Logger.Level?

    public var logLevel: Logger.Level {
        get { ownLevel ?? levels.level }
        set { ownLevel = newValue }
    }

    /// A handler that follows the process's level.
    public init(label: String, levels: RunnelLogLevel, sink: LogSink = .standardError) {
        self.label = label
        self.levels = levels
        self.sink = sink
    }

    /// A handler with a fixed level.
    public init(label: String, level: Logger.Level, sink: LogSink = .standardError) {
        self.init(label: label, levels: RunnelLogLevel(commandLine: level), sink: sink)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let style = levels.style
        let time = style.timeFormatter.map { $0.string(.now()) } ?? RunnelLogHandler.timestamp()
        switch style.format {
        case .text:
            var line = time + " [" + RunnelLogHandler.levelName(event.level) + "]: " + event.message.description
            for key in merged.keys.sorted() {
                line += " \(key)=\(RunnelLogHandler.quoted(merged[key]!.description))"
            }
            sink.write(line + "\n")
        case .json:
            var pairs: [MessagePackPair] = [
                MessagePackPair(key: "time", value: .string(time)),
                MessagePackPair(key: "level", value: .string(RunnelLogHandler.levelName(event.level))),
                MessagePackPair(key: "message", value: .string(event.message.description)),
            ]
            for key in merged.keys.sorted() where !["time", "level", "message"].contains(key) {
                pairs.append(MessagePackPair(key: .string(key), value: .string(merged[key]!.description)))
            }
            var line: [UInt8] = []
            JSONWriter.append(.map(pairs), to: &line)
            line.append(0x0a)
            sink.write(String(decoding: line, as: UTF8.self))
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error: return "error"
        case .critical: return "fatal"
        }
    }

    static func quoted(_ value: String) -> String {
        if value.isEmpty { return "\"\"" }
        if value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" }) {
            return "\""
                + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
                + "\""
        }
        return value
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%03d +0000", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ts.tv_nsec / 1_000_000))
    }
}

/// Where log lines go: stderr, or memory for tests.
public final class LogSink: Sendable {
    enum Target { case standardError, memory }
    let target: Target
    private let lines = Mutex<[String]>([])

    init(_ target: Target) { self.target = target }

    public static let standardError = LogSink(.standardError)
    public static func memory() -> LogSink { LogSink(.memory) }

    func write(_ line: String) {
        switch target {
        case .standardError: FileHandle.standardError.write(Data(line.utf8))
        case .memory: lines.withLock { $0.append(line) }
        }
    }

    /// The lines written so far (memory sinks only).
    public var recorded: [String] { lines.withLock { $0 } }
}

/// The level of Runnel's own log lines: `<system> log_level` of the configuration, unless `-v` or
/// `-q` was given, which wins as in Fluentd (its supervisor's `build_system_config` prefers the
/// command line's `log_level`). Read by every `RunnelLogHandler` at each log call.
public final class RunnelLogLevel: Sendable {
    private let current: Mutex<Logger.Level>
    private let currentStyle = Mutex(Style())

    /// `<system> <log>`: the shape of each line and the format of its time.
    public struct Style: Sendable {
        public var format: SystemConfiguration.LogFormat = .text
        /// nil: Runnel's default time, UTC with milliseconds.
        public var timeFormatter: TimeFormatter?
    }

    public var style: Style { currentStyle.withLock { $0 } }
    /// The level `-v`/`-q` asked for; nil when neither was given.
    public let commandLine: Logger.Level?

    public init(commandLine: Logger.Level?) {
        self.commandLine = commandLine
        self.current = Mutex(commandLine ?? .info)
    }

    public var level: Logger.Level { current.withLock { $0 } }

    /// Applies a configuration's `<system> log_level` (info when it has none), unless the
    /// command line chose the level.
    public func apply(system level: Logger.Level) {
        guard commandLine == nil else { return }
        current.withLock { $0 = level }
    }

    /// Applies a configuration's `<system>`: its `log_level` as above, and its `<log>` format.
    public func apply(_ system: SystemConfiguration) {
        apply(system: system.logLevel)
        currentStyle.withLock {
            $0 = Style(format: system.logFormat, timeFormatter: system.logTimeFormat.map { TimeFormatter(format: $0, zone: .local) })
        }
    }
}
