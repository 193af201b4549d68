import Foundation
import Logging
import Synchronization

/// Runnel's own log lines on stderr, one line per event, in Fluentd's shape:
/// `2026-11-24 18:00:00.123 +0000 [warn]: message key=value key2=value2`.
public struct RunnelLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = RunnelLogHandler.timestamp() + " [" + RunnelLogHandler.levelName(event.level) + "]: " + event.message.description
        for key in merged.keys.sorted() {
            line += " \(key)=\(RunnelLogHandler.quoted(merged[key]!.description))"
        }
        sink.write(line + "\n")
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
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
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
