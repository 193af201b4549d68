/// Request parameters as Fluentd's in_http reads them (WEBrick's `parse_query` and
/// `parse_form_data`): the query string, then an `application/x-www-form-urlencoded` or
/// `multipart/form-data` body over it. A name given twice keeps its first value.
struct FormParameters: Sendable, Equatable {
    private(set) var values: [String: [UInt8]] = [:]
    /// Names in the order they first came, for `add_query_params`.
    private(set) var order: [String] = []

    init() {}

    subscript(name: String) -> [UInt8]? {
        get { values[name] }
        set {
            if values[name] == nil { order.append(name) }
            values[name] = newValue
            if newValue == nil { order.removeAll { $0 == name } }
        }
    }

    func string(_ name: String) -> String? { values[name].map { String(decoding: $0, as: UTF8.self) } }

    /// Pairs separated by `&` or `;`, each `name=value` form-unescaped (`+` is a space, `%XX` a byte).
    static func query(_ text: some Collection<UInt8>) -> FormParameters {
        var parameters = FormParameters()
        parameters.merge(query: text)
        return parameters
    }

    /// Adds the pairs of `text` (a later value replaces an earlier one, as `params.update` does
    /// for a form body over the query string; within one text the first value is kept).
    mutating func merge(query text: some Collection<UInt8>, replacing: Bool = false) {
        var seen = Set<String>()
        for pair in text.split(whereSeparator: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ";") }) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: Self.unescape(parts[0]), as: UTF8.self)
            let value = parts.count > 1 ? Self.unescape(parts[1]) : []
            guard !seen.contains(name) else { continue }
            seen.insert(name)
            if replacing || self[name] == nil { self[name] = value }
        }
    }

    static func unescape(_ text: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var iterator = Array(text)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                    let low = hexValue(iterator[iterator.startIndex + 1])
                {
                    out.append(high << 4 | low)
                    iterator.removeFirst(2)
                } else {
                    out.append(byte)
                }
            default:
                out.append(byte)
            }
        }
        return out
    }

    /// `%XX` decoded, `+` left as it is (CloudEvents' header values).
    static func percentDecode(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == UInt8(ascii: "%"), i + 2 < text.count,
                let high = hexValue(text[i + 1]), let low = hexValue(text[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The fields of a `multipart/form-data` body (RFC 7578): each part's `name` from its
    /// `Content-Disposition`, its bytes as sent. Throws when the body does not follow the boundary.
    mutating func merge(multipart body: [UInt8], boundary: String) throws(HTTPInputProblem) {
        let delimiter = Array("--\(boundary)".utf8)
        guard var position = Self.find(delimiter, in: body, from: 0) else {
            throw HTTPInputProblem("multipart/form-data body has no boundary '\(boundary)'")
        }
        var seen = Set<String>()
        while true {
            position += delimiter.count
            if body[position...].starts(with: Array("--".utf8)) { return }
            guard body[position...].starts(with: [0x0d, 0x0a]) else {
                throw HTTPInputProblem("multipart/form-data boundary is not followed by a line end")
            }
            position += 2
            guard let headersEnd = Self.find([0x0d, 0x0a, 0x0d, 0x0a], in: body, from: position) else {
                throw HTTPInputProblem("multipart/form-data part has no end of headers")
            }
            let headers = String(decoding: body[position..<headersEnd], as: UTF8.self)
            let contentStart = headersEnd + 4
            guard let next = Self.find([0x0d, 0x0a] + delimiter, in: body, from: contentStart) else {
                throw HTTPInputProblem("multipart/form-data part is not closed by the boundary")
            }
            if let name = Self.partName(headers), !seen.contains(name) {
                seen.insert(name)
                self[name] = Array(body[contentStart..<next])
            }
            position = next + 2
        }
    }

    static func partName(_ headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            for attribute in line.split(separator: ";").dropFirst() {
                let trimmed = attribute.drop { $0 == " " }
                guard trimmed.hasPrefix("name=") else { continue }
                var value = trimmed.dropFirst(5)
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
                return String(value)
            }
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

/// Why a request's events were refused: the text of the 400 answer.
struct HTTPInputProblem: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
