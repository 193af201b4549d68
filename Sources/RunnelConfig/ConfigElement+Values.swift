import RunnelCore

import Foundation

/// Typed parameter reading with Fluentd's value types (Fluent::Config's `size_value`,
/// `time_value`, `bool_value`, array and hash types). A value that does not parse is a
/// `ConfigError` naming the file, line, section and parameter, and what was expected.
extension ConfigElement {
    public func string(_ key: String) -> String? { rawValue(key) }

    public func string(_ key: String, default defaultValue: String) -> String { rawValue(key) ?? defaultValue }

    public func requiredString(_ key: String) throws -> String {
        guard let value = rawValue(key) else {
            if let unset = unsetParameters.last(where: { $0.key == key }) {
                throw ConfigError(
                    .missingParameter, at: unset.location,
                    "\(title): '\(key)' parameter is required, but its value is \(unset.reason.rawValue), which leaves it unset; give it a value")
            }
            throw ConfigError(.missingParameter, at: location, "\(title): '\(key)' parameter is required")
        }
        return value
    }

    /// A secret parameter (keys, passwords): read like a string, never echoed in errors.
    public func secret(_ key: String) -> Secret? { rawValue(key).map(Secret.init) }

    public func integer(_ key: String) throws -> Int? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.integer(raw) else { throw invalid(key, raw, expected: "an integer") }
        return value
    }

    public func integer(_ key: String, default defaultValue: Int) throws -> Int {
        try integer(key) ?? defaultValue
    }

    public func float(_ key: String) throws -> Double? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.float(raw) else { throw invalid(key, raw, expected: "a number") }
        return value
    }

    public func float(_ key: String, default defaultValue: Double) throws -> Double {
        try float(key) ?? defaultValue
    }

    /// A byte size: an integer, optionally with k, m, g or t (powers of 1024, either case, then an
    /// optional b), e.g. `8m`, `8MB`.
    public func size(_ key: String) throws -> Int? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.size(raw) else {
            if raw.contains(".") {
                throw invalid(
                    key, raw,
                    expected:
                        "a whole size such as 1024, 256k, 8m or 1g (Fluentd reads only the digits before the unit, so 1.5m would be 5m there); write 1536k for 1.5m"
                )
            }
            throw invalid(key, raw, expected: "a size such as 1024, 256k, 8m, 8MB or 1g")
        }
        return value
    }

    public func size(_ key: String, default defaultValue: Int) throws -> Int {
        try size(key) ?? defaultValue
    }

    /// A duration in seconds: a number, optionally with s, m, h or d, e.g. `60s`, `1.5h`, `0.5`.
    public func time(_ key: String) throws -> Double? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.time(raw) else {
            throw invalid(key, raw, expected: "a time such as 30, 10s, 5m, 1h or 1d")
        }
        return value
    }

    public func time(_ key: String, default defaultValue: Double) throws -> Double {
        try time(key) ?? defaultValue
    }

    /// true/yes/false/no; a key written with no value means true.
    public func bool(_ key: String) throws -> Bool? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.bool(raw) else { throw invalid(key, raw, expected: "true or false") }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        try bool(key) ?? defaultValue
    }

    /// A file mode written in octal (`0644`, `600`), at most 0o7777.
    public func permission(_ key: String, default defaultValue: UInt16) throws -> UInt16 {
        guard let raw = rawValue(key) else { return defaultValue }
        guard let parsed = UInt16(raw, radix: 8), parsed <= 0o7777 else { throw invalid(key, raw, expected: "an octal permission such as 0644") }
        return parsed
    }

    /// One of a fixed set of words.
    public func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: E) throws -> E
    where E.RawValue == String {
        guard let raw = rawValue(key) else { return defaultValue }
        guard let value = E(rawValue: raw) else {
            let allowed = E.allCases.map { $0.rawValue }.joined(separator: ", ")
            throw invalid(key, raw, expected: "one of \(allowed)")
        }
        return value
    }

    public func enumeration<E: RawRepresentable & CaseIterable>(_ key: String) throws -> E? where E.RawValue == String {
        guard has(key) else { return nil }
        return try enumeration(key, default: E.allCases.first!)
    }

    /// A JSON array (`["a","b"]`) or a comma-separated list (`a,b`), as strings.
    public func array(_ key: String) throws -> [String]? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.array(raw) else {
            throw invalid(key, raw, expected: "a JSON array or a comma-separated list")
        }
        return value
    }

    public func array(_ key: String, default defaultValue: [String]) throws -> [String] {
        try array(key) ?? defaultValue
    }

    /// A JSON object (`{"k":"v"}`) or `k1:v1,k2:v2`, as ordered string pairs.
    public func hash(_ key: String) throws -> [(key: String, value: String)]? {
        guard let raw = rawValue(key) else { return nil }
        guard let value = ConfigValue.hash(raw) else {
            throw invalid(key, raw, expected: "a JSON object or a list such as k1:v1,k2:v2")
        }
        return value
    }

    /// The error for a parameter whose value is wrong; the message names section, parameter and value.
    public func invalid(_ key: String, _ raw: String, expected: String) -> ConfigError {
        let where_ = parameter(key)?.location ?? location
        return ConfigError(.invalidValue, at: where_, "\(title): parameter '\(key)' has value \"\(raw)\"; expected \(expected)")
    }

    /// An error about a parameter that parsed but is not acceptable (out of range, conflicting).
    public func rejected(_ key: String, _ message: String) -> ConfigError {
        let where_ = parameter(key)?.location ?? location
        return ConfigError(.invalidValue, at: where_, "\(title): parameter '\(key)': \(message)")
    }
}

/// Fluentd's value coercions, on plain strings.
public enum ConfigValue {
    public static func integer(_ raw: String) -> Int? {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        return Int(text)
    }

    public static func float(_ raw: String) -> Double? {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        guard !text.isEmpty, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Fluentd's `Config.size_value` (lib/fluent/config/types.rb): digits followed by `k`, `m`,
    /// `g` or `t` in either case, powers of 1024. Fluentd's match is not anchored, so it reads
    /// what follows the unit as nothing (`8MB`, `8mb`, `8kb` are 8 MiB, 8 MiB, 8 KiB); Runnel
    /// accepts a `b`/`B` there and nothing else. Without a unit, an integer of bytes. Fractions
    /// are refused: Fluentd reads only the digits before the unit (`1.5m` is 5 MiB there).
    public static func size(_ raw: String) -> Int? {
        var text = Substring(raw.trimmingCharacters(in: .whitespaces))
        if text.count >= 2, text.last == "b" || text.last == "B", "kmgtKMGT".contains(text[text.index(text.endIndex, offsetBy: -2)]) {
            text = text.dropLast()
        }
        guard let last = text.last else { return nil }
        let multipliers: [Character: Int] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        if let multiplier = multipliers[Character(last.lowercased())] {
            let digits = text.dropLast()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int(digits) else { return nil }
            let (product, overflow) = whole.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        guard let value = integer(String(text)), value >= 0 else { return nil }
        return value
    }

    public static func time(_ raw: String) -> Double? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard let last = text.last else { return nil }
        let multipliers: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let multiplier = multipliers[last] {
            guard let number = Double(text.dropLast()), number.isFinite, number >= 0 else { return nil }
            return number * multiplier
        }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    public static func bool(_ raw: String) -> Bool? {
        switch raw.trimmingCharacters(in: .whitespaces) {
        case "true", "yes", "": return true
        case "false", "no": return false
        // `flag # comment` gives the value "# comment" in Fluentd's parser, which reads it as true.
        case let text where text.hasPrefix("#"): return true
        default: return nil
        }
    }

    public static func array(_ raw: String) -> [String]? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("[") {
            guard case .array(let elements)? = try? JSONReader.decode(text) else { return nil }
            return elements.map { $0.isNil ? "" : jsonText($0) }
        }
        if text.isEmpty { return [] }
        var items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // Ruby's String#split drops trailing empty fields: "a,b," is ["a", "b"].
        while items.last?.isEmpty == true { items.removeLast() }
        return items
    }

    public static func hash(_ raw: String) -> [(key: String, value: String)]? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("{") {
            // JSONReader keeps the written order (Ruby's Hash does) and the last of repeated keys.
            guard case .map(let pairs)? = try? JSONReader.decode(text) else { return nil }
            return pairs.map { ($0.key.stringValue ?? "", jsonText($0.value)) }
        }
        if text.isEmpty { return [] }
        var pairs: [(key: String, value: String)] = []
        for item in text.split(separator: ",") {
            guard let colon = item.firstIndex(of: ":") else { return nil }
            pairs.append(
                (
                    item[..<colon].trimmingCharacters(in: .whitespaces),
                    item[item.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        return pairs
    }

    /// A JSON element of an array or hash parameter as the string a plugin reads: a string as it
    /// is, a float as Ruby's `Float#to_s`, anything else as compact JSON.
    static func jsonText(_ value: MessagePackValue) -> String {
        switch value {
        case .string(let string): return string
        case .double(let number):
            var out: [UInt8] = []
            JSONWriter.appendRubyFloat(number, to: &out)
            return String(decoding: out, as: UTF8.self)
        default: return JSONWriter.string(value)
        }
    }
}
