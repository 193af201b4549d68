import Foundation
import RunnelCore

/// in_systemd's `matches`: an array of hashes. The fields of one hash are ANDed, the hashes are
/// ORed, and an array value within a hash means any of its values
/// (fluent-plugin-systemd docs/matching.md; the systemd-journal gem's `Filterable#filter`).
///
/// sd-journal gives exactly these semantics when each value becomes one `FIELD=value` match,
/// since matches on the same field are ORed and on different fields ANDed, with a disjunction
/// between hashes (`journalctl A=1 B=2 + C=3`).
public struct JournalMatches: Sendable, Equatable {
    /// One hash: field name (upper-cased, as the gem does) and the values any of which may match.
    public struct Term: Sendable, Equatable {
        public var fields: [(name: String, values: [String])]

        public init(_ fields: [(name: String, values: [String])]) { self.fields = fields }

        public static func == (lhs: Term, rhs: Term) -> Bool {
            lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.values == $1.values }
        }
    }

    public var terms: [Term]

    public init(_ terms: [Term] = []) { self.terms = terms }

    /// What to hand sd-journal, in order.
    public enum Operation: Sendable, Equatable {
        /// `sd_journal_add_match` with `FIELD=value`.
        case match(String)
        /// `sd_journal_add_disjunction`.
        case disjunction
    }

    public var operations: [Operation] {
        var result: [Operation] = []
        for (index, term) in terms.enumerated() {
            if index > 0 { result.append(.disjunction) }
            for field in term.fields {
                for value in field.values { result.append(.match("\(field.name)=\(value)")) }
            }
        }
        return result
    }

    /// Parses the JSON text of `matches`; returns a message naming what is wrong, or the matches.
    /// Keys keep their written order (it changes nothing sd-journal matches, but keeps the
    /// operations predictable).
    public static func parse(_ json: String) -> Result<JournalMatches, MatchesError> {
        guard let parsed = try? JSONReader.decode(json) else {
            return .failure(.init("is not valid JSON; expected an array of hashes such as [{\"_SYSTEMD_UNIT\": \"kubelet.service\"}]"))
        }
        guard case .array(let hashes) = parsed else { return .failure(.init("must be an array of hashes")) }
        var terms: [Term] = []
        for (index, element) in hashes.enumerated() {
            guard case .map(let pairs) = element else {
                return .failure(.init("element \(index) is not a hash; each element of matches is a hash of field names to values"))
            }
            var fields: [(name: String, values: [String])] = []
            for pair in pairs {
                guard let key = pair.key.stringValue else { return .failure(.init("element \(index) has a key that is not a string")) }
                let name = key.uppercased()
                guard isJournalFieldName(name) else {
                    return .failure(.init("field '\(key)' is not a journal field name (letters, digits and underscores, not starting with a digit)"))
                }
                let values: [MessagePackValue]
                if case .array(let list) = pair.value { values = list } else { values = [pair.value] }
                var strings: [String] = []
                for value in values {
                    guard let text = scalarText(value) else {
                        return .failure(.init("field '\(key)' has a value that is not a string, number or boolean (or an array of them)"))
                    }
                    strings.append(text)
                }
                fields.append((name, strings))
            }
            terms.append(Term(fields))
        }
        return .success(JournalMatches(terms))
    }

    /// A journal field name: upper-case letters, digits and underscores, not starting with a digit.
    static func isJournalFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    static func rubyFloat(_ value: Double) -> String {
        var out: [UInt8] = []
        JSONWriter.appendRubyFloat(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A value as Ruby's `to_s` writes it.
    static func scalarText(_ value: MessagePackValue) -> String? {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .uint(let number): return String(number)
        case .double(let number): return rubyFloat(number)
        case .float(let number): return rubyFloat(Double(number))
        default: return nil
        }
    }
}

/// Why `matches` could not be read.
public struct MatchesError: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}
