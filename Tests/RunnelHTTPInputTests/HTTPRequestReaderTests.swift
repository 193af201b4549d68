import NIOCore
import NIOHTTP1
import RunnelConfig
import RunnelCore
import RunnelHTTPServer
import Testing

@testable import RunnelHTTPInput

/// How a request becomes events, case by case from Fluentd v1.16's in_http documentation and
/// source: the tag from the path, `json`/`msgpack`/`ndjson`, batches, times and the added fields.
@Suite struct HTTPRequestReaderTests {
    static let now = EventTime(seconds: 1_700_000_000, nanoseconds: 5)

    static func reader(_ parameters: [String: String] = [:], _ children: [ConfigElement] = []) throws -> HTTPRequestReader {
        HTTPRequestReader(configuration: try HTTPInputConfiguration(source(parameters, children)))
    }

    static func request(_ uri: String, contentType: String? = nil, headers: [(String, String)] = [], body: String = "") -> HTTPRequest {
        var all = HTTPHeaders(headers)
        if let contentType { all.add(name: "Content-Type", value: contentType) }
        return HTTPRequest(
            method: .POST, uri: uri, headers: all, body: ByteBuffer(string: body),
            remoteAddress: try? SocketAddress(ipAddress: "192.0.2.7", port: 40000))
    }

    static func events(_ reader: HTTPRequestReader, _ request: HTTPRequest) throws -> [(tag: String, time: EventTime, record: MessagePackValue)] {
        let events = try reader.events(request, body: Array(request.body.readableBytesView), now: now)
        return try events.streams.flatMap { stream in try stream.decodedEntries().map { (stream.tag, $0.time, $0.record) } }
    }

    static func problem(_ reader: HTTPRequestReader, _ request: HTTPRequest) -> String? {
        do {
            _ = try reader.events(request, body: Array(request.body.readableBytesView), now: now)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        ("/app.log", "app.log"), ("/app/log", "app.log"), ("/a/b/c/", "a.b.c"), ("/a//b", "a..b"), ("/", ""),
    ])
    func tagComesFromThePath(path: String, tag: String) {
        #expect(HTTPRequestReader.tag(path: path) == tag)
    }

    @Test func jsonFormParameterWithTime() throws {
        // curl -X POST -d 'json={"foo":"bar"}' http://localhost:9880/app.log?time=1518756037
        let events = try Self.events(
            try Self.reader(),
            Self.request("/app.log?time=1518756037", contentType: "application/x-www-form-urlencoded", body: "json=%7B%22foo%22%3A%22bar%22%7D"))
        #expect(events.count == 1)
        #expect(events.first?.tag == "app.log")
        #expect(events.first?.time == EventTime(seconds: 1_518_756_037))
        #expect(events.first?.record == .record(["foo": "bar"]))
    }

    @Test func jsonInTheQueryString() throws {
        let events = try Self.events(try Self.reader(), Self.request("/debug.test?json=%7B%22a%22%3A1%7D"))
        #expect(events.map(\.record) == [.record(["a": 1])])
        #expect(events.first?.time == Self.now)
    }

    @Test func jsonBodyArrayIsABatchAndEachRecordsTimeFieldIsItsTime() throws {
        let events = try Self.events(
            try Self.reader(),
            Self.request("/batch", contentType: "application/json", body: #"[{"a":1,"time":1518756037},{"a":2,"time":1518756038.5},{"a":3}]"#))
        #expect(events.map(\.record) == [.record(["a": 1]), .record(["a": 2]), .record(["a": 3])])
        #expect(events.map(\.time) == [EventTime(seconds: 1_518_756_037), EventTime(seconds: 1_518_756_038, nanoseconds: 500_000_000), Self.now])
    }

    @Test func queryTimeWinsOverRecordTimeAndZeroIsNow() throws {
        let reader = try Self.reader()
        let events = try Self.events(reader, Self.request("/t?time=1518756040", contentType: "application/json", body: #"{"a":1,"time":5}"#))
        #expect(events.first?.time == EventTime(seconds: 1_518_756_040))
        // The record's time field stays when a parameter gives the time, as in Fluentd.
        #expect(events.first?.record == .record(["a": 1, "time": 5]))
        let zero = try Self.events(reader, Self.request("/t?time=0", contentType: "application/json", body: #"{"a":1}"#))
        #expect(zero.first?.time == Self.now)
    }

    @Test func keepTimeKeyAndTimeFormatFromTheParseSection() throws {
        let parse = ConfigElement("parse", "", ["@type": "in_http", "keep_time_key": "true", "time_format": "%Y-%m-%dT%H:%M:%S%z"])
        let events = try Self.events(
            try Self.reader([:], [parse]), Self.request("/t", contentType: "application/json", body: #"{"time":"2018-02-16T04:40:37+0000","a":1}"#))
        #expect(events.first?.time == EventTime(seconds: 1_518_756_037))
        #expect(events.first?.record == .record(["time": "2018-02-16T04:40:37+0000", "a": 1]))
    }

    @Test func msgpackBodyAndParameter() throws {
        let record = MessagePackValue.record(["k": "v", "n": 3])
        var body = ByteBuffer(bytes: record.encoded)
        var request = Self.request("/mp", contentType: "application/msgpack")
        request.body = body
        #expect(try Self.events(try Self.reader(), request).map(\.record) == [record])
        body = ByteBuffer(bytes: MessagePackValue.array([record, record]).encoded)
        request.body = body
        #expect(try Self.events(try Self.reader(), request).count == 2)
        request.body = ByteBuffer(bytes: [0xc1])  // a byte MessagePack never uses
        #expect(Self.problem(try Self.reader(), request)?.hasPrefix("msgpack is not valid MessagePack") == true)
    }

    @Test func ndjsonBody() throws {
        let events = try Self.events(
            try Self.reader(), Self.request("/nd", contentType: "application/x-ndjson", body: "{\"a\":1}\r\n{\"a\":2,\"time\":10}\n"))
        #expect(events.map(\.record) == [.record(["a": 1]), .record(["a": 2])])
        #expect(events.map(\.time) == [Self.now, EventTime(seconds: 10)])
        #expect(
            Self.problem(try Self.reader(), Self.request("/nd", contentType: "application/x-ndjson", body: "{\"a\":1}\n{oops\n"))?.hasPrefix(
                "ndjson line 2 is not valid JSON") == true)
    }

    @Test func multipartFormField() throws {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{\"m\":\"multi\"}\r\n--XyZ--\r\n"
        let events = try Self.events(try Self.reader(), Self.request("/mp", contentType: "multipart/form-data; boundary=XyZ", body: body))
        #expect(events.map(\.record) == [.record(["m": "multi"])])
    }

    @Test func nullRecordIsNoEvent() throws {
        #expect(try Self.events(try Self.reader(), Self.request("/n", contentType: "application/json", body: "null")).isEmpty)
    }

    @Test func headersQueryParametersAndRemoteAddress() throws {
        let reader = try Self.reader(["add_http_headers": "true", "add_query_params": "true", "add_remote_addr": "true"])
        let events = try Self.events(
            reader,
            Self.request(
                "/h?json=%7B%7D&user-id=7", headers: [("X-Request-Id", "abc"), ("X-Forwarded-For", "203.0.113.9, 10.0.0.1")]))
        let record = try #require(events.first?.record)
        #expect(record["HTTP_X_REQUEST_ID"] == "abc")
        #expect(record["HTTP_X_FORWARDED_FOR"] == "203.0.113.9, 10.0.0.1")
        #expect(record["QUERY_USER_ID"] == "7")
        #expect(record["QUERY_JSON"] == "{}")
        #expect(record["REMOTE_ADDR"] == "203.0.113.9")
        let direct = try Self.events(reader, Self.request("/h?json=%7B%7D"))
        #expect(direct.first?.record["REMOTE_ADDR"] == "192.0.2.7")
    }

    @Test func otherParsersGetTheBody() throws {
        let parse = ConfigElement("parse", "", ["@type": "regexp", "expression": #"/^(?<level>\w+) (?<message>.*)$/"#])
        let reader = try Self.reader([:], [parse])
        let events = try Self.events(reader, Self.request("/raw", contentType: "text/plain", body: "WARN disk almost full"))
        #expect(events.map(\.record) == [.record(["level": "WARN", "message": "disk almost full"])])
        #expect(Self.problem(reader, Self.request("/raw", body: "nope")) == "Received event is not regexp: nope")
    }

    @Test(arguments: [
        ("/t", "application/json", "{\"a\":", "json is not valid JSON"),
        ("/t", "text/plain", "hello", "'json', 'ndjson' or 'msgpack' parameter is required"),
        ("/t", "application/json", "[{\"a\":1},2]", "record 1 must be a JSON object"),
        ("/t", "application/json", "\"text\"", "the record must be a JSON object"),
        ("/t", "application/json", "{\"time\":\"yesterday\"}", "field 'time' must be a Unix time"),
        ("/", "application/json", "{}", "the URL path '/' gives no tag"),
    ])
    func badRequestsNameTheProblem(path: String, contentType: String, body: String, problem: String) throws {
        let found = Self.problem(try Self.reader(), Self.request(path, contentType: contentType, body: body))
        #expect(found?.hasPrefix(problem) == true, "\(found ?? "no problem")")
    }

    @Test func configurationErrors() {
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["cors_allow_credentials": "true"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["cors_allow_credentials": "true", "cors_allow_origins": "*"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["port": "70000"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["cloudevents_payload": "event"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["cloudevents": "true", "cloudevents_payload": "all"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source(["cloudevents": "true", "cloudevents_tag": "ce.${type"])) }
        #expect(throws: ConfigError.self) { try HTTPInputConfiguration(source([:], [ConfigElement("transport", "tls", [:])])) }
        let defaults = try? HTTPInputConfiguration(ConfigElement(name: "source", parameters: [], children: []))
        #expect(defaults?.port == 9880)
        #expect(defaults?.bind == "0.0.0.0")
        #expect(defaults?.bodySizeLimit == 32 * 1024 * 1024)
        #expect(defaults?.keepaliveTimeout == 10)
    }
}

/// A `<source>` section for 127.0.0.1 on port 0, with `parameters` and child sections.
func source(_ parameters: [String: String], _ children: [ConfigElement] = []) -> ConfigElement {
    var all = ["bind": "127.0.0.1", "port": "0"]
    all.merge(parameters) { $1 }
    return ConfigElement(
        name: "source", parameters: all.sorted { $0.key < $1.key }.map { ConfigParameter(key: $0.key, value: $0.value, location: .synthesized) },
        children: children)
}
