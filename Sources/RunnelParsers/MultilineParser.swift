import Foundation
import RunnelConfig
import RunnelCore

/// `@type multiline`: an event starts at a line matching `format_firstline`; following lines are
/// joined to it with `\n` until the next first line; the joined text is matched against
/// `format1`..`formatN` concatenated (dot matches newline); as parser_multiline.rb's `parse`, what
/// follows a match (less one newline) is matched again, so one block may give several events.
/// A group that took no part in a match is left out. A line before any first line is unmatched,
/// as in Fluentd's in_tail ("got incomplete line before first line").
public struct MultilineParser: LineParser {
    let firstline: NamedRegex
    var body: RegexpParser
    var pending: [UInt8]?
    var pendingTime: EventTime?

    public init(firstline: String, formats: [String], common: ParserCommon = ParserCommon()) throws {
        self.firstline = try NamedRegex(firstline)
        let joined = formats.map { MultilineParser.stripSlashes($0) }.joined()
        body = try RegexpParser(expression: "/\(joined)/m", common: common)
    }

    public init(_ element: ConfigElement) throws {
        let firstline = try element.requiredString("format_firstline")
        var formats: [String] = []
        for index in 1...20 {
            guard let format = element.string("format\(index)") else { continue }
            // parser_multiline.rb parse_formats.
            if index > 1, element.string("format\(index - 1)") == nil {
                throw element.rejected("format\(index)", "Jump of format index found. format\(index - 1) is missing.")
            }
            formats.append(format)
        }
        if formats.isEmpty { _ = try element.requiredString("format1") }
        _ = element.string("unmatched_lines")
        try self.init(firstline: firstline, formats: formats, common: ParserCommon(element))
    }

    /// A preset that sets its formats and time format over the section's (`multiline_kubernetes`).
    public init(_ element: ConfigElement, forcedFirstline: String, forcedFormats: [String], forcedTimeFormat: String) throws {
        for key in ["format_firstline", "format1", "time_format", "unmatched_lines"] { element.markUsed(key) }
        try self.init(
            firstline: forcedFirstline, formats: forcedFormats,
            common: ParserCommon(element, fixedTimeFormat: forcedTimeFormat))
    }

    static func stripSlashes(_ format: String) -> String {
        let trimmed = format.trimmingCharacters(in: .whitespaces)
        if trimmed.count >= 2, trimmed.hasPrefix("/"), trimmed.hasSuffix("/") {
            return String(trimmed.dropFirst().dropLast())
        }
        return trimmed
    }

    public var isHolding: Bool { pending != nil }

    public mutating func parse(_ line: UnsafeRawBufferPointer, now: EventTime, into output: inout ParserOutput) -> ParseOutcome {
        let text = String(decoding: line, as: UTF8.self)
        if firstline.matches(text) {
            let emitted = flushPending(now: now, into: &output)
            pending = Array(line)
            pendingTime = now
            return emitted ? .emitted : .held
        }
        guard pending != nil else { return .unmatched }
        pending!.append(0x0a)
        pending!.append(contentsOf: line)
        return .held
    }

    public mutating func flush(now: EventTime, into output: inout ParserOutput) {
        _ = flushPending(now: now, into: &output)
    }

    /// Emits the held event(s); text that does not match the formats is dropped.
    mutating func flushPending(now: EventTime, into output: inout ParserOutput) -> Bool {
        guard let bytes = pending else { return false }
        pending = nil
        var text = String(decoding: bytes, as: UTF8.self)
        var emitted = false
        while let match = body.regex.matchWithEnd(text) {
            if body.emit(match.captures, now: pendingTime ?? now, into: &output) { emitted = true }
            // An empty match at the start would never move on.
            guard match.end > text.startIndex else { break }
            var rest = text[match.end...]
            if rest.hasPrefix("\n") { rest = rest.dropFirst() }
            if rest.isEmpty { break }
            text = String(rest)
        }
        return emitted
    }
}
