import Foundation
import RunnelConfig
import RunnelCore

/// `@type multiline`: an event starts at a line matching `format_firstline`; following lines are
/// joined to it with `\n` until the next first line; the joined text is matched against
/// `format1`..`formatN` concatenated (dot matches newline). A line before any first line is unmatched,
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
            if let format = element.string("format\(index)") { formats.append(format) }
        }
        if formats.isEmpty { _ = try element.requiredString("format1") }
        try self.init(firstline: firstline, formats: formats, common: ParserCommon(element))
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

    /// Emits the held event; an event that does not match the formats is dropped (counted by the caller as held lines).
    mutating func flushPending(now: EventTime, into output: inout ParserOutput) -> Bool {
        guard let text = pending else { return false }
        pending = nil
        return body.parse(text: String(decoding: text, as: UTF8.self), now: pendingTime ?? now, into: &output) == .emitted
    }
}

