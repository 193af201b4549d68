import RunnelCore

/// What a parser did with one line.
public enum ParseOutcome: Sendable, Equatable {
    /// One or more events were appended (possibly an earlier, held event completed by this line).
    case emitted
    /// The line was kept to be joined with later ones (multiline, container partial lines).
    case held
    /// The line does not match the format; nothing was appended.
    case unmatched
}

/// Turns lines of text into events. One instance per file (or per parser filter), because a
/// parser may hold state between lines: a multiline event in progress or CRI/Docker partial lines.
///
/// `line` is the line without its newline. Events are appended to `output` as packed
/// `[time, record]` entries so a whole read becomes one `EventStream` without copies per record.
public protocol LineParser: Sendable {
    mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome
    /// Emits anything held (multiline_flush_interval passed, file closed, shutdown).
    mutating func flush(now: EventTime, into output: inout ParserOutput)
    /// True while lines are held waiting for more.
    var isHolding: Bool { get }
}

extension LineParser {
    public mutating func flush(now: EventTime, into output: inout ParserOutput) {}
    public var isHolding: Bool { false }

    /// Parses a string (tests, the parser filter).
    public mutating func parse(_ text: String, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), now: now, into: &output) }
    }
}
