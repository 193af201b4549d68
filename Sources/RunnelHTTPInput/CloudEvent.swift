import Foundation
import RunnelCore

/// One CloudEvents 1.0 event (the core specification, its JSON format and its HTTP binding), as
/// read from a request: its context attributes in the order they came, and its data.
struct CloudEvent: Sendable, Equatable {
    enum Data: Sendable, Equatable {
        case none
        /// `data` of the JSON format, or a binary-mode body with a JSON media type.
        case json(MessagePackValue)
        /// A binary-mode body that is not JSON: text when it is valid UTF-8.
        case text(String)
        /// `data_base64`, or a binary-mode body that is not UTF-8.
        case binary([UInt8])
    }

    var attributes: [(name: String, value: MessagePackValue)]
    var data: Data
    var time: EventTime?

    static func == (lhs: CloudEvent, rhs: CloudEvent) -> Bool {
        lhs.data == rhs.data && lhs.time == rhs.time && lhs.attributes.map(\.name) == rhs.attributes.map(\.name)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    func attribute(_ name: String) -> MessagePackValue? { attributes.first { $0.name == name }?.value }

    static let required = ["id", "source", "specversion", "type"]

    /// An event of the structured (JSON format) mode, from a decoded JSON object.
    static func structured(_ value: MessagePackValue) throws(HTTPInputProblem) -> CloudEvent {
        guard case .map(let pairs) = value else { throw HTTPInputProblem("a CloudEvent must be a JSON object") }
        var event = CloudEvent(attributes: [], data: .none, time: nil)
        var sawData = false
        for pair in pairs {
            guard case .string(let name) = pair.key else { throw HTTPInputProblem("a CloudEvent's member names must be strings") }
            switch name {
            case "data":
                guard !sawData else { throw HTTPInputProblem("a CloudEvent must not have both data and data_base64") }
                sawData = true
                event.data = .json(pair.value)
            case "data_base64":
                guard !sawData else { throw HTTPInputProblem("a CloudEvent must not have both data and data_base64") }
                sawData = true
                if pair.value.isNil { continue }
                guard case .string(let text) = pair.value, let bytes = Foundation.Data(base64Encoded: text) else {
                    throw HTTPInputProblem("data_base64 is not base64 text")
                }
                event.data = .binary(Array(bytes))
            default:
                switch pair.value {
                case .nil:
                    continue  // the JSON format: a null attribute is an absent one
                case .string, .int, .uint, .bool:
                    try event.add(name, pair.value)
                case .double(let d) where d == d.rounded() && abs(d) < 2147483648:
                    try event.add(name, .int(Int64(d)))
                default:
                    throw HTTPInputProblem("attribute '\(name)' must be a string, an integer or a boolean")
                }
            }
        }
        try event.validate()
        return event
    }

    /// An event of the binary mode: `ce-` headers are the attributes (percent-decoded),
    /// `Content-Type` is `datacontenttype`, the body is the data.
    static func binary(headers: [(name: String, value: String)], body: [UInt8]) throws(HTTPInputProblem) -> CloudEvent {
        var event = CloudEvent(attributes: [], data: .none, time: nil)
        var contentType: String?
        for (name, value) in headers {
            let lowered = name.lowercased()
            if lowered == "content-type" {
                contentType = value
                continue
            }
            guard lowered.hasPrefix("ce-") else { continue }
            let attribute = String(lowered.dropFirst(3))
            guard event.attribute(attribute) == nil else { throw HTTPInputProblem("header ce-\(attribute) is given twice") }
            let decoded = String(decoding: FormParameters.percentDecode(Array(value.utf8)), as: UTF8.self)
            try event.add(attribute, .string(decoded))
        }
        if let contentType { try event.add("datacontenttype", .string(contentType)) }
        if !body.isEmpty {
            // Without a Content-Type the data is read as JSON if it is JSON (as the CloudEvents
            // SDKs do, JSON being the format's default), else as text or bytes.
            if contentType == nil, let value = try? JSONReader.decode(body) {
                event.data = .json(value)
            } else if contentType.map(isJSON) ?? false {
                do {
                    event.data = .json(try JSONReader.decode(body))
                } catch {
                    throw HTTPInputProblem("the body is not the JSON its Content-Type says: \(error)")
                }
            } else if let text = String(validating: body, as: UTF8.self) {
                event.data = .text(text)
            } else {
                event.data = .binary(body)
            }
        }
        try event.validate()
        return event
    }

    /// `application/json`, `text/json` and any `+json` media type.
    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || media == "text/json" || media.hasSuffix("+json")
    }

    mutating func add(_ name: String, _ value: MessagePackValue) throws(HTTPInputProblem) {
        guard !name.isEmpty, name.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) }) else {
            throw HTTPInputProblem("attribute name '\(name)' must be lower-case letters and digits")
        }
        attributes.append((name, value))
    }

    mutating func validate() throws(HTTPInputProblem) {
        for name in Self.required {
            guard let value = attribute(name) else { throw HTTPInputProblem("the required attribute '\(name)' is missing") }
            guard case .string(let text) = value, !text.isEmpty else {
                throw HTTPInputProblem("the required attribute '\(name)' must be a non-empty string")
            }
        }
        guard case .string("1.0") = attribute("specversion") else {
            throw HTTPInputProblem("specversion '\(attribute("specversion")?.stringValue ?? "")' is not supported; Runnel reads CloudEvents 1.0")
        }
        for name in ["datacontenttype", "dataschema", "subject", "time"] {
            if let value = attribute(name), value.stringValue == nil {
                throw HTTPInputProblem("attribute '\(name)' must be a string")
            }
        }
        if let text = attribute("time")?.stringValue {
            guard let time = RFC3339.parse(text) else { throw HTTPInputProblem("attribute 'time' is not an RFC 3339 timestamp: \(text)") }
            self.time = time
        }
    }

    /// The record an output gets: the data (an object as it is, anything else under `data` or
    /// `data_base64`), or the whole event in the JSON format's shape.
    func record(_ payload: CloudEventsConfiguration.Payload) -> MessagePackValue {
        var pairs: [MessagePackPair] = []
        if payload == .event {
            pairs = attributes.map { MessagePackPair(key: .string($0.name), value: $0.value) }
        } else if case .json(.map(let fields)) = data {
            return .map(fields)
        }
        switch data {
        case .none: break
        case .json(let value): pairs.append(MessagePackPair(key: "data", value: value))
        case .text(let text): pairs.append(MessagePackPair(key: "data", value: .string(text)))
        case .binary(let bytes):
            pairs.append(MessagePackPair(key: "data_base64", value: .string(Foundation.Data(bytes).base64EncodedString())))
        }
        return .map(pairs)
    }
}

/// RFC 3339 `date-time` (`2024-05-01T12:00:00.123Z`, `...+02:00`).
enum RFC3339 {
    static func parse(_ text: String) -> EventTime? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
            let second = digits(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var nanoseconds = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100_000_000
            let start = i
            while i < b.count, (0x30...0x39).contains(b[i]) {
                nanoseconds += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == b.count, let hours = digits(i + 1, 2), b[i + 3] == UInt8(ascii: ":"), let minutes = digits(i + 4, 2) else {
                return nil
            }
            offset = (hours * 60 + minutes) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        guard seconds >= 0, seconds <= Int(UInt32.max) else { return nil }
        return EventTime(seconds: UInt32(seconds), nanoseconds: UInt32(nanoseconds))
    }
}
