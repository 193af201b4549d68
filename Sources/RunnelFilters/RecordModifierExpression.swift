import RunnelCore

/// The code inside a record_modifier `${...}`. The plugin runs it as Ruby with `tag`, `time`,
/// `record` and `tag_parts` in scope; Runnel runs no Ruby and evaluates the forms the plugin's
/// documentation and Kubernetes configurations use:
///
/// - `tag`, `time` (the event's Unix seconds), `tag_parts[N]` (N may be negative);
/// - `record['key']` / `record["key"]`, nested as `record['a']['b']`, and
///   `record.dig('a', 'b')`;
/// - `'single'` and `"double"` quoted literals, integers;
/// - `a + b` on strings (or on integers).
///
/// Anything else is a configuration error naming the code.
indirect enum RecordModifierExpression: Sendable, Equatable {
    case tag
    case time
    case tagPart(Int)
    /// `record['a']['b']` (a missing level raises, as Ruby's `nil['b']` does) or, with `dig`, `record.dig('a', 'b')`.
    case record([String], dig: Bool)
    case literal(MessagePackValue)
    case plus(RecordModifierExpression, RecordModifierExpression)

    struct Unsupported: Error, CustomStringConvertible {
        var code: String
        var description: String {
            "${\(code)} is Ruby code Runnel does not evaluate; it evaluates tag, time, tag_parts[N], record['key']['nested'], record.dig('a', 'b'), quoted strings, integers and +"
        }
    }

    /// What evaluating a `+` of a string and a number raises in Ruby (a TypeError).
    struct EvaluationError: Error {}

    static func parse(_ code: String) throws(Unsupported) -> RecordModifierExpression {
        var parser = Parser(chars: Array(code.unicodeScalars), code: code)
        let expression = try parser.sum()
        parser.skipSpaces()
        guard parser.at == parser.chars.count else { throw Unsupported(code: code) }
        return expression
    }

    struct Parser {
        var chars: [Unicode.Scalar]
        var code: String
        var at = 0

        mutating func skipSpaces() { while at < chars.count, chars[at] == " " || chars[at] == "\t" { at += 1 } }

        func peek(_ text: String) -> Bool {
            let scalars = Array(text.unicodeScalars)
            return at + scalars.count <= chars.count && Array(chars[at..<(at + scalars.count)]) == scalars
        }

        mutating func eat(_ text: String) -> Bool {
            skipSpaces()
            guard peek(text) else { return false }
            at += text.unicodeScalars.count
            return true
        }

        mutating func sum() throws(Unsupported) -> RecordModifierExpression {
            var left = try term()
            while eat("+") { left = .plus(left, try term()) }
            return left
        }

        mutating func identifier() -> String {
            var name = ""
            while at < chars.count, chars[at].properties.isAlphabetic || chars[at] == "_" || ("0"..."9").contains(chars[at]) {
                name.unicodeScalars.append(chars[at])
                at += 1
            }
            return name
        }

        mutating func term() throws(Unsupported) -> RecordModifierExpression {
            skipSpaces()
            guard at < chars.count else { throw Unsupported(code: code) }
            if chars[at] == "'" || chars[at] == "\"" { return .literal(.string(try quoted())) }
            if ("0"..."9").contains(chars[at]) || chars[at] == "-" {
                let start = at
                at += 1
                while at < chars.count, ("0"..."9").contains(chars[at]) { at += 1 }
                guard let n = Int(String(String.UnicodeScalarView(chars[start..<at]))) else { throw Unsupported(code: code) }
                return .literal(n >= 0 ? .uint(UInt64(n)) : .int(Int64(n)))
            }
            switch identifier() {
            case "tag": return .tag
            case "time": return .time
            case "tag_parts":
                guard eat("[") else { throw Unsupported(code: code) }
                skipSpaces()
                let start = at
                if at < chars.count, chars[at] == "-" { at += 1 }
                while at < chars.count, ("0"..."9").contains(chars[at]) { at += 1 }
                guard let n = Int(String(String.UnicodeScalarView(chars[start..<at]))), eat("]") else { throw Unsupported(code: code) }
                return .tagPart(n)
            case "record":
                var path: [String] = []
                if eat(".dig") {
                    guard eat("(") else { throw Unsupported(code: code) }
                    repeat {
                        skipSpaces()
                        path.append(try quoted())
                    } while eat(",")
                    guard eat(")") else { throw Unsupported(code: code) }
                    return .record(path, dig: true)
                }
                while eat("[") {
                    skipSpaces()
                    path.append(try quoted())
                    guard eat("]") else { throw Unsupported(code: code) }
                }
                guard !path.isEmpty else { throw Unsupported(code: code) }
                return .record(path, dig: false)
            default:
                throw Unsupported(code: code)
            }
        }

        /// A quoted literal: `'...'` with `\'` and `\\`, `"..."` with the common escapes.
        mutating func quoted() throws(Unsupported) -> String {
            guard at < chars.count, chars[at] == "'" || chars[at] == "\"" else { throw Unsupported(code: code) }
            let quote = chars[at]
            at += 1
            var out = ""
            while at < chars.count, chars[at] != quote {
                if chars[at] == "\\", at + 1 < chars.count {
                    let next = chars[at + 1]
                    at += 2
                    if quote == "'" {
                        if next != "'" && next != "\\" { out.unicodeScalars.append("\\") }
                        out.unicodeScalars.append(next)
                    } else {
                        switch next {
                        case "n": out += "\n"
                        case "t": out += "\t"
                        case "r": out += "\r"
                        case "0": out += "\0"
                        case "#": throw Unsupported(code: code)
                        default: out.unicodeScalars.append(next)
                        }
                    }
                    continue
                }
                if quote == "\"", chars[at] == "#", at + 1 < chars.count, chars[at + 1] == "{" { throw Unsupported(code: code) }
                out.unicodeScalars.append(chars[at])
                at += 1
            }
            guard at < chars.count else { throw Unsupported(code: code) }
            at += 1
            return out
        }
    }

    /// The value for one event; `tagParts` is Ruby's `tag.split('.')`.
    func evaluate(tag: String, tagParts: [String], time: EventTime, record: MessagePackValue) throws(EvaluationError) -> MessagePackValue {
        switch self {
        case .tag: return .string(tag)
        case .time: return .uint(UInt64(time.seconds))
        case .tagPart(let n):
            let index = n < 0 ? tagParts.count + n : n
            return index >= 0 && index < tagParts.count ? .string(tagParts[index]) : .nil
        case .record(let path, let dig):
            var value: MessagePackValue? = record
            for key in path {
                guard case .map(let pairs)? = value else {
                    // Ruby's `nil['x']` raises NoMethodError; `dig` stops at nil.
                    if dig, value == nil || value == .nil { return .nil }
                    throw EvaluationError()
                }
                value = pairs[key]
            }
            return value ?? .nil
        case .literal(let value): return value
        case .plus(let left, let right):
            let a = try left.evaluate(tag: tag, tagParts: tagParts, time: time, record: record)
            let b = try right.evaluate(tag: tag, tagParts: tagParts, time: time, record: record)
            if let x = RecordValue.text(a), let y = RecordValue.text(b) { return .string(x + y) }
            if let x = a.integerValue, let y = b.integerValue {
                let sum = x.addingReportingOverflow(y)
                guard !sum.overflow else { throw EvaluationError() }
                return sum.partialValue >= 0 ? .uint(UInt64(sum.partialValue)) : .int(sum.partialValue)
            }
            throw EvaluationError()
        }
    }
}

extension MessagePackValue {
    var integerValue: Int64? {
        switch self {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        default: return nil
        }
    }
}
