import RunnelCore

/// Fluentd's placeholders in output parameters (`extract_placeholders`): `${tag}`, `${tag[N]}`
/// (negative N counts from the end), `${key}` and `${$.a.b}` for record chunk keys, and strftime
/// patterns (`%Y%m%d%H`) for the start of the chunk's time key.
extension ChunkMetadata {
    /// `template` with every placeholder replaced by this chunk's values. A placeholder whose value
    /// the chunk does not have is left as written (Fluentd does the same; `ChunkKeys.validate`
    /// rejects such templates at start-up).
    public func expand(_ template: String) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close])
            result += value(forPlaceholder: name) ?? "${\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        guard let timekey, result.contains("%") else { return result }
        return Self.strftime(result, time: timekey, utcOffset: utcOffset)
    }

    func value(forPlaceholder name: String) -> String? {
        if name == "tag" { return tag }
        if name.hasPrefix("tag["), name.hasSuffix("]"), let tag {
            guard let index = Int(name.dropFirst(4).dropLast()) else { return nil }
            let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
            let resolved = index < 0 ? parts.count + index : index
            guard resolved >= 0, resolved < parts.count else { return nil }
            return String(parts[resolved])
        }
        return variables[name]
    }

    /// strftime of `time` (seconds since epoch) at `utcOffset`, or in the local zone.
    static func strftime(_ format: String, time: Int, utcOffset: Int?) -> String {
        TimeFormatter(format: format, zone: utcOffset.map { .fixed($0) } ?? .local).string(unixSeconds: time)
    }
}

extension ChunkKeys {
    /// The placeholders of `template` these chunk keys cannot fill (Fluentd's
    /// `placeholder_validate!`): `${tag}` without `tag`, strftime without `time`, `${key}`
    /// without that record key. Empty when the template is fine.
    public func unsupportedPlaceholders(in template: String) -> [String] {
        var problems: [String] = []
        var rest = Substring(template)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            let name = String(rest[open.upperBound..<close])
            let isTag = name == "tag" || (name.hasPrefix("tag[") && name.hasSuffix("]"))
            if isTag ? !tag : !recordKeys.contains(name) { problems.append("${\(name)}") }
            rest = rest[rest.index(after: close)...]
        }
        if time == nil, let pattern = Self.firstStrftimePattern(in: template) { problems.append(pattern) }
        return problems
    }

    /// Throws `BufferError.placeholder` naming the parameter when `template` uses a placeholder
    /// the chunk keys do not provide.
    public func validate(template: String, parameter: String) throws {
        let problems = unsupportedPlaceholders(in: template)
        guard problems.isEmpty else {
            throw BufferError.unsupportedPlaceholders(parameter: parameter, template: template, placeholders: problems)
        }
    }

    static func firstStrftimePattern(in template: String) -> String? {
        let chars = Array(template)
        for i in chars.indices.dropLast() where chars[i] == "%" {
            if "YmdHMSyjbBaAeIplUWZzsuVG".contains(chars[i + 1]) { return "%\(chars[i + 1])" }
        }
        return nil
    }
}
