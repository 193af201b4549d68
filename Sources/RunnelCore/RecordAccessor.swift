/// A path to a field of a record: a top-level name (`host`) or Fluentd's record accessor
/// syntax (`$.kubernetes.pod_name`, `$['kubernetes']['pod_name']`).
public struct RecordAccessor: Sendable, Equatable, CustomStringConvertible {
    public var path: [String]
    public var description: String

    /// Parses `text`; nil when it is a `$` path that does not parse.
    public init?(_ text: String) {
        description = text
        guard text.hasPrefix("$") else {
            path = [text]
            return
        }
        var keys: [String] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                guard end != rest.startIndex else { return nil }
                keys.append(String(rest[..<end]))
                rest = rest[end...]
            } else if rest.hasPrefix("['") || rest.hasPrefix("[\"") {
                let quote = rest.dropFirst().first!
                rest = rest.dropFirst(2)
                guard let close = rest.firstIndex(of: quote), rest[rest.index(after: close)...].hasPrefix("]") else {
                    return nil
                }
                keys.append(String(rest[..<close]))
                rest = rest[rest.index(close, offsetBy: 2)...]
            } else {
                return nil
            }
        }
        guard !keys.isEmpty else { return nil }
        path = keys
    }

    /// Moves `reader` (at a record map) to the value at the path; false when a step is missing.
    /// On false the reader's position is unspecified.
    public func seek(_ reader: inout MessagePackReader) throws -> Bool {
        for key in path {
            guard try reader.peekType() == .map else { return false }
            guard try RecordAccessor.seekKey(key, in: &reader) else { return false }
        }
        return true
    }

    /// With `reader` at a map, moves it to the value of `key` (string keys only).
    public static func seekKey(_ key: String, in reader: inout MessagePackReader) throws -> Bool {
        let count = try reader.readMapHeader()
        var key = key
        return try key.withUTF8 { wanted in
            for _ in 0..<count {
                let type = try reader.peekType()
                if type == .string || type == .binary {
                    let range = try reader.readStringOrBinaryRange()
                    if range.count == wanted.count,
                        UnsafeRawBufferPointer(rebasing: reader.bytes[range]).elementsEqual(UnsafeRawBufferPointer(wanted))
                    {
                        return true
                    }
                } else {
                    try reader.skipValue()
                }
                try reader.skipValue()
            }
            return false
        }
    }
}
