import NIOCore
import NIOHTTP1
import RunnelCore
import RunnelHTTPServer
import RunnelParsers

/// Turns one request into events the way Fluentd v1.16's in_http does (and CloudEvents when
/// enabled): the tag from the URL path, the record from the `json`, `msgpack` or `ndjson`
/// parameter or body (or the `<parse>` parser's first event), the time from `?time=`, the
/// record's `time` field, or now. Pure: no sockets, no clock but `now`.
struct HTTPRequestReader: Sendable {
    var configuration: HTTPInputConfiguration

    /// What a request yields: events by tag, or nothing (a `null` record).
    struct Events: Sendable {
        var streams: [EventStream] = []
        var count: Int { streams.reduce(0) { $0 + $1.count } }
    }

    /// The tag of a path: `/a/b` is `a.b` (Ruby's `split('/')`: empty inner parts kept, trailing dropped).
    static func tag(path: String) -> String {
        var parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        while parts.last == "" { parts.removeLast() }
        return parts.joined(separator: ".")
    }

    func events(_ request: HTTPRequest, body: [UInt8], now: EventTime) throws(HTTPInputProblem) -> Events {
        let tag = Self.tag(path: request.path)
        let contentType = request.headers.first(name: "content-type") ?? ""
        if let cloudEvents = configuration.cloudEvents, let mode = CloudEventMode(contentType: contentType, headers: request.headers) {
            return try self.cloudEvents(mode, cloudEvents, request: request, body: body, tag: tag, now: now)
        }
        guard !tag.isEmpty else { throw HTTPInputProblem("the URL path '\(request.path)' gives no tag; post to /TAG") }
        var parameters = FormParameters.query(request.query.map { Array($0.utf8) } ?? [])
        let queryNames = parameters.order
        let queryValues = queryNames.map { parameters[$0] ?? [] }
        var builder = EventStreamBuilder(tag: tag)
        switch configuration.format {
        case .default(let format):
            let lowered = contentType.lowercased()
            if lowered.hasPrefix("application/x-www-form-urlencoded") {
                parameters.merge(query: body, replacing: true)
            } else if lowered.hasPrefix("multipart/form-data"), let boundary = Self.boundary(contentType) {
                try parameters.merge(multipart: body, boundary: boundary)
            } else if lowered.hasPrefix("application/json") {
                parameters["json"] = body
            } else if lowered.hasPrefix("application/msgpack") || lowered.hasPrefix("application/x-msgpack") {
                parameters["msgpack"] = body
            } else if lowered.hasPrefix("application/x-ndjson") {
                parameters["ndjson"] = body
            }
            let parameterTime = try Self.parameterTime(parameters, now: now)
            for (index, record) in try Self.records(parameters).enumerated() {
                guard case .map(var pairs) = record else {
                    throw HTTPInputProblem(index == 0 ? "the record must be a JSON object" : "record \(index) must be a JSON object")
                }
                var time = parameterTime
                if time == nil { time = try recordTime(&pairs, format, now: now) }
                addParameters(&pairs, request: request, queryNames: queryNames, queryValues: queryValues)
                builder.append(time: time ?? now, record: .map(pairs))
            }
        case .parser(let type, var parser):
            var output = ParserOutput(tag: tag)
            let outcome = body.withUnsafeBytes { parser.parse($0, now: now, into: &output) }
            parser.flush(now: now, into: &output)
            guard outcome != .unmatched, let first = output.decoded().first, case .map(var pairs) = first.record else {
                throw HTTPInputProblem("Received event is not \(type): \(String(decoding: body.prefix(256), as: UTF8.self))")
            }
            addParameters(&pairs, request: request, queryNames: queryNames, queryValues: queryValues)
            builder.append(time: try Self.parameterTime(parameters, now: now) ?? first.time, record: .map(pairs))
        }
        return Events(streams: builder.count > 0 ? [builder.take()] : [])
    }

    /// `?time=` (or a form field): Unix time as a float; 0 means now.
    static func parameterTime(_ parameters: FormParameters, now: EventTime) throws(HTTPInputProblem) -> EventTime? {
        guard let text = parameters.string("time") else { return nil }
        // Ruby's String#to_f: the leading number, 0 when there is none.
        let number = Double(text.prefix { "0123456789.-+eE".contains($0) }) ?? 0
        guard number != 0 else { return now }
        guard number > 0, number < Double(UInt32.max) else { throw HTTPInputProblem("time \(text) is not a Unix time") }
        return EventTime(timeInterval: number)
    }

    /// The records of `msgpack`, `json` or `ndjson`, in that order of preference.
    static func records(_ parameters: FormParameters) throws(HTTPInputProblem) -> [MessagePackValue] {
        if let msgpack = parameters["msgpack"] {
            let value: MessagePackValue
            do {
                value = try msgpack.withUnsafeBytes { bytes in
                    var reader = MessagePackReader(bytes: bytes)
                    return try reader.readValue()
                }
            } catch {
                throw HTTPInputProblem("msgpack is not valid MessagePack: \(error)")
            }
            return Self.batch(value)
        }
        if let json = parameters["json"] {
            let value: MessagePackValue
            do {
                value = try JSONReader.decode(json)
            } catch {
                throw HTTPInputProblem("json is not valid JSON: \(error)")
            }
            return Self.batch(value)
        }
        if let ndjson = parameters["ndjson"] {
            var records: [MessagePackValue] = []
            var lineNumber = 0
            var lines = ndjson.split(separator: 0x0a, omittingEmptySubsequences: false)
            while let last = lines.last, last.isEmpty || last == [0x0d] { lines.removeLast() }
            for var line in lines {
                lineNumber += 1
                if line.last == 0x0d { line = line.dropLast() }
                do {
                    records.append(try JSONReader.decode(Array(line)))
                } catch {
                    throw HTTPInputProblem("ndjson line \(lineNumber) is not valid JSON: \(error)")
                }
            }
            return records
        }
        throw HTTPInputProblem("'json', 'ndjson' or 'msgpack' parameter is required")
    }

    /// A JSON array is a batch; `null` is no record at all (answered 200, as Fluentd does).
    static func batch(_ value: MessagePackValue) -> [MessagePackValue] {
        switch value {
        case .array(let records): return records
        case .nil: return []
        default: return [value]
        }
    }

    /// The record's time field: removed unless `keep_time_key`, Unix time unless a time parser is set.
    func recordTime(_ pairs: inout [MessagePackPair], _ format: HTTPInputConfiguration.DefaultFormat, now: EventTime)
        throws(HTTPInputProblem) -> EventTime?
    {
        guard let key = format.timeKey, let index = pairs.firstIndex(where: { $0.key.stringValue == key }) else { return nil }
        let value = pairs[index].value
        if !format.keepTimeKey { pairs.remove(at: index) }
        if let parser = format.timeParser {
            guard let time = parser.parse(value, now: now) else { throw HTTPInputProblem("field '\(key)' is not a time: \(value)") }
            return time
        }
        switch value {
        case .int(let i) where i >= 0: return EventTime(seconds: UInt32(clamping: i))
        case .uint(let u): return EventTime(seconds: UInt32(clamping: u))
        case .double(let d) where d >= 0: return EventTime(timeInterval: d)
        case .float(let f) where f >= 0: return EventTime(timeInterval: Double(f))
        default: throw HTTPInputProblem("field '\(key)' must be a Unix time (a number), not \(value)")
        }
    }

    /// `add_http_headers`, `add_query_params` and `add_remote_addr`.
    func addParameters(_ pairs: inout [MessagePackPair], request: HTTPRequest, queryNames: [String], queryValues: [[UInt8]]) {
        func set(_ key: String, _ value: MessagePackValue) {
            if let index = pairs.firstIndex(where: { $0.key.stringValue == key }) {
                pairs[index].value = value
            } else {
                pairs.append(MessagePackPair(key: .string(key), value: value))
            }
        }
        if configuration.addHTTPHeaders {
            for name in Self.headerNames(request.headers) {
                set("HTTP_" + Self.envName(name), .string(request.headers[name].joined(separator: ", ")))
            }
        }
        if configuration.addQueryParams {
            for (name, value) in zip(queryNames, queryValues) {
                set("QUERY_" + Self.envName(name), .string(String(decoding: value, as: UTF8.self)))
            }
        }
        if configuration.addRemoteAddr {
            set("REMOTE_ADDR", Self.remoteAddress(request).map(MessagePackValue.string) ?? .nil)
        }
    }

    static func headerNames(_ headers: HTTPHeaders) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for (name, _) in headers where seen.insert(name.lowercased()).inserted { names.append(name) }
        return names
    }

    /// `Content-Type` becomes `CONTENT_TYPE`.
    static func envName(_ name: String) -> String { name.replacingDashes().uppercased() }

    /// The first `X-Forwarded-For` address, else the peer's.
    static func remoteAddress(_ request: HTTPRequest) -> String? {
        if let forwarded = request.headers.first(name: "x-forwarded-for"), let first = forwarded.split(separator: ",").first {
            return String(first)
        }
        return request.remoteAddress?.ipAddress
    }

    static func boundary(_ contentType: String) -> String? {
        guard let range = contentType.range(of: "boundary=") else { return nil }
        var value = contentType[range.upperBound...].prefix { $0 != ";" }
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
        return value.isEmpty ? nil : String(value)
    }
}

extension String {
    fileprivate func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
