import Logging
import Synchronization

/// Collects what loggers made from it log, for assertions: each entry with its level, message,
/// metadata (the logger's merged with the call's) and label.
///
///     let logs = LogCapture()
///     let logger = logs.logger(level: .debug)
///     …
///     #expect(logs.count(.warning, containing: "disk full") == 1)
public final class LogCapture: Sendable {
    public struct Entry: Sendable, CustomStringConvertible {
        public var label: String
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
        public var source: String

        /// The message followed by the metadata as sorted `key=value` pairs, so an assertion can
        /// look for a value that went into the metadata (a system error, a stream name).
        public var text: String {
            let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return details.isEmpty ? message : message + " " + details
        }

        public var description: String { "\(level) \(text)" }
    }

    private let collected = Mutex<[Entry]>([])

    public init() {}

    /// A logger writing into this capture, logging from `level` up.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }

    public var entries: [Entry] { collected.withLock { $0 } }

    /// Entries at `level` whose `text` contains `text`.
    public func entries(_ level: Logger.Level, containing text: String = "") -> [Entry] {
        entries.filter { $0.level == level && (text.isEmpty || $0.text.contains(text)) }
    }

    /// Entries at `level` whose message is exactly `message` (metadata aside).
    public func entries(_ level: Logger.Level, message: String) -> [Entry] {
        entries.filter { $0.level == level && $0.message == message }
    }

    public func count(_ level: Logger.Level, containing text: String = "") -> Int {
        entries(level, containing: text).count
    }

    public func removeAll() { collected.withLock { $0.removeAll() } }

    fileprivate func append(_ entry: Entry) { collected.withLock { $0.append(entry) } }
}

/// The swift-log handler behind `LogCapture.logger(label:level:)`.
public struct CapturingLogHandler: LogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    private let capture: LogCapture

    public init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        capture.append(
            LogCapture.Entry(
                label: label, level: event.level, message: event.message.description, metadata: merged, source: event.source))
    }
}
