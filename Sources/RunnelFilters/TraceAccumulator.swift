import RunnelCore

/// One log stream's lines for detect_exceptions: records pass through unless their messages
/// form a stack trace, whose records are joined into the first one, its message field holding
/// every message concatenated. Returns what is to be emitted; reads no clock (`now` is given).
struct TraceAccumulator: Sendable {
    struct Options: Sendable {
        /// `message`: "" learns the field from the first record having `message` or `log`.
        var messageField: String = ""
        var forceLineBreaks = false
        var maxLines = 1000
        var maxBytes = 0
    }

    typealias Event = (time: EventTime, record: MessagePackValue)

    var detector: ExceptionDetector
    var options: Options
    private var messages: [String] = []
    private var bufferSize = 0
    private var first: Event?
    /// When the first held line came, for `multiline_flush_interval`.
    private(set) var bufferStart: Double = 0

    init(detector: ExceptionDetector, options: Options) {
        self.detector = detector
        self.options = options
    }

    var isHolding: Bool { !messages.isEmpty }

    mutating func push(time: EventTime, record: MessagePackValue, now: Double) -> [Event] {
        var out: [Event] = []
        let message = extractMessage(record)
        let status: ExceptionDetector.Status
        if let message {
            if options.maxBytes > 0, bufferSize + message.count > options.maxBytes { out += forceFlush() }
            status = detector.update(message)
        } else {
            detector.reset()
            status = .noTrace
        }
        if messages.isEmpty, status == .noTrace || status == .endTrace {
            out.append((time, record))
        } else {
            switch status {
            case .insideTrace:
                add(time, record, message, now: now)
            case .endTrace:
                add(time, record, message, now: now)
                out += flush()
            case .noTrace:
                out += flush()
                // The plugin adds and flushes it alone, which gives the record back as it is
                // (and loses it when it has no message: Runnel passes it on).
                out.append((time, record))
            case .startTrace:
                out += flush()
                add(time, record, message, now: now)
            }
        }
        if options.maxLines > 0, messages.count == options.maxLines { out += forceFlush() }
        return out
    }

    private mutating func extractMessage(_ record: MessagePackValue) -> String? {
        guard let pairs = record.mapValue else { return nil }
        if options.messageField.isEmpty, let found = ["message", "log"].first(where: { pairs.has($0) }) {
            options.messageField = found
        }
        return RecordValue.text(pairs[options.messageField])
    }

    private mutating func add(_ time: EventTime, _ record: MessagePackValue, _ message: String?, now: Double) {
        if messages.isEmpty {
            first = (time, record)
            bufferStart = now
        }
        guard let message else { return }
        let line = options.forceLineBreaks && !messages.isEmpty && !message.contains("\n") ? "\n" + message : message
        messages.append(line)
        bufferSize += line.count
    }

    mutating func flush() -> [Event] {
        defer {
            messages = []
            first = nil
            bufferSize = 0
        }
        guard let first, !messages.isEmpty else { return [] }
        if messages.count == 1 { return [first] }
        var pairs = first.record.mapValue ?? []
        pairs.set(options.messageField, .string(messages.joined()))
        return [(first.time, .map(pairs))]
    }

    mutating func forceFlush() -> [Event] {
        let out = flush()
        detector.reset()
        return out
    }
}
