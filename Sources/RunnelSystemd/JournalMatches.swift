import Foundation

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
    public static func parse(_ json: String) -> Result<JournalMatches, MatchesError> {
        guard let data = json.data(using: .utf8),
            let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return .failure(.init("is not valid JSON; expected an array of hashes such as [{\"_SYSTEMD_UNIT\": \"kubelet.service\"}]")) }
        guard let hashes = parsed as? [Any] else { return .failure(.init("must be an array of hashes")) }
        var terms: [Term] = []
        for (index, element) in hashes.enumerated() {
            guard let hash = element as? [String: Any] else {
                return .failure(.init("element \(index) is not a hash; each element of matches is a hash of field names to values"))
            }
            var fields: [(name: String, values: [String])] = []
            for key in orderedKeys(of: json, element: index, fallback: hash.keys.sorted()) where hash[key] != nil {
                let name = key.uppercased()
                guard isJournalFieldName(name) else {
                    return .failure(.init("field '\(key)' is not a journal field name (letters, digits and underscores, not starting with a digit)"))
                }
                let raw = hash[key]!
                let values: [Any] = (raw as? [Any]) ?? [raw]
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

    /// A value as Ruby's `to_s` writes it.
    static func scalarText(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        }
        return nil
    }

    /// The keys of the `element`-th hash in written order (the order changes nothing sd-journal
    /// matches, but keeps the operations predictable); `fallback` when the text cannot be walked.
    static func orderedKeys(of json: String, element: Int, fallback: [String]) -> [String] {
        var keys: [[String]] = []
        var depth = 0
        var inString = false
        var escaped = false
        var current = ""
        var expectKey = false
        for ch in json {
            if inString {
                if escaped { escaped = false; current.append(ch); continue }
                if ch == "\\" { escaped = true; continue }
                if ch == "\"" {
                    inString = false
                    if depth == 2, expectKey, !keys.isEmpty { keys[keys.count - 1].append(current) }
                    expectKey = false
                    continue
                }
                current.append(ch)
                continue
            }
            switch ch {
            case "\"": inString = true; current = ""
            case "{", "[":
                depth += 1
                if ch == "{", depth == 2 { keys.append([]) }
                expectKey = ch == "{"
            case "}", "]": depth -= 1
            case ",": expectKey = depth == 2
            case ":": expectKey = false
            default: break
            }
        }
        guard element < keys.count, Set(keys[element]) == Set(fallback) else { return fallback }
        return keys[element]
    }
}

/// Why `matches` could not be read.
public struct MatchesError: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}
