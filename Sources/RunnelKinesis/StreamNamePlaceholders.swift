import RunnelBuffer
import RunnelCore

/// Expands Fluentd's built-in placeholders in `stream_name` from the chunk's keys:
/// `${tag}`, `${tag[N]}` (negative N counts from the end), `${key}` and `${$.a.b}` for
/// record-key chunk keys, and strftime directives when `time` is a chunk key.
/// (The buffer's own expander, when it exists, should replace this.)
enum StreamNamePlaceholders {
    static func expand(_ template: String, metadata: ChunkMetadata) -> String {
        guard template.contains("${") || (metadata.timekey != nil && template.contains("%")) else { return template }
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close])
            out += value(of: name, metadata: metadata) ?? "${\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        if let timekey = metadata.timekey, out.contains("%") {
            out = TimeFormatter(format: out, utcOffset: 0).string(EventTime(seconds: UInt32(clamping: timekey)))
        }
        return out
    }

    static func value(of name: String, metadata: ChunkMetadata) -> String? {
        if name == "tag" { return metadata.tag }
        if name.hasPrefix("tag["), name.hasSuffix("]"), let tag = metadata.tag,
            let index = Int(name.dropFirst(4).dropLast())
        {
            let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
            let position = index < 0 ? parts.count + index : index
            return parts.indices.contains(position) ? String(parts[position]) : nil
        }
        return metadata.variables[name]
    }
}
