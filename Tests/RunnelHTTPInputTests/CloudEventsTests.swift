import NIOCore
import NIOHTTP1
import RunnelCore
import RunnelHTTPServer
import Testing

@testable import RunnelHTTPInput

/// CloudEvents 1.0 over HTTP: the three modes of the HTTP binding, the JSON format's rules for
/// attributes and data, and the record and tag Runnel makes of an event.
@Suite struct CloudEventsTests {
    static let now = HTTPRequestReaderTests.now

    static func reader(_ parameters: [String: String] = [:]) throws -> HTTPRequestReader {
        var all = ["cloudevents": "true"]
        all.merge(parameters) { $1 }
        return try HTTPRequestReaderTests.reader(all)
    }

    static let event =
        #"{"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext","type":"com.example.someevent","time":"2018-04-05T17:31:00Z","datacontenttype":"application/json","data":{"appinfoA":"abc","appinfoB":123}}"#

    @Test func structuredModeGivesTheDataAsTheRecord() throws {
        let events = try HTTPRequestReaderTests.events(
            try Self.reader(), HTTPRequestReaderTests.request("/ce", contentType: "application/cloudevents+json; charset=utf-8", body: Self.event))
        #expect(events.map(\.tag) == ["ce"])
        #expect(events.map(\.record) == [.record(["appinfoA": "abc", "appinfoB": 123])])
        #expect(events.first?.time == EventTime(seconds: 1_522_949_460))
    }

    @Test func wholeEventPayloadAndATagFromAttributes() throws {
        let reader = try Self.reader(["cloudevents_payload": "event", "cloudevents_tag": "ce.${type}"])
        let events = try HTTPRequestReaderTests.events(
            reader, HTTPRequestReaderTests.request("/", contentType: "application/cloudevents+json", body: Self.event))
        #expect(events.map(\.tag) == ["ce.com.example.someevent"])
        #expect(
            events.first?.record
                == .record([
                    "specversion": "1.0", "id": "A234-1234-1234", "source": "/mycontext", "type": "com.example.someevent",
                    "time": "2018-04-05T17:31:00Z", "datacontenttype": "application/json",
                    "data": .record(["appinfoA": "abc", "appinfoB": 123]),
                ]))
    }

    @Test func binaryModeReadsCeHeaders() throws {
        let request = HTTPRequestReaderTests.request(
            "/bin", contentType: "application/json",
            headers: [
                ("ce-specversion", "1.0"), ("ce-type", "com.example.object.deleted.v2"), ("ce-source", "/cloudevents/spec/pull/123"),
                ("ce-id", "1234-5678"), ("ce-subject", "caf%C3%A9"), ("ce-comexampleextension1", "value"),
            ], body: #"{"k":"v"}"#)
        let reader = try Self.reader(["cloudevents_payload": "event"])
        let events = try HTTPRequestReaderTests.events(reader, request)
        let record = try #require(events.first?.record)
        #expect(record["subject"] == "café")
        #expect(record["comexampleextension1"] == "value")
        #expect(record["datacontenttype"] == "application/json")
        #expect(record["data"] == .record(["k": "v"]))
        #expect(events.first?.time == Self.now)
        // Text data that is not JSON stays text; bytes that are not UTF-8 become data_base64.
        var text = request
        text.headers.replaceOrAdd(name: "Content-Type", value: "text/plain")
        text.body = ByteBuffer(string: "plain words")
        #expect(try HTTPRequestReaderTests.events(try Self.reader(), text).first?.record == .record(["data": "plain words"]))
        var binary = request
        binary.headers.replaceOrAdd(name: "Content-Type", value: "application/octet-stream")
        binary.body = ByteBuffer(bytes: [0xff, 0x00, 0xfe])
        #expect(try HTTPRequestReaderTests.events(try Self.reader(), binary).first?.record == .record(["data_base64": "/wD+"]))
    }

    @Test func batchedModeTagsEachEvent() throws {
        let body = "[" + Self.event + "," + Self.event.replacingOccurrences(of: "com.example.someevent", with: "com.example.other") + "]"
        let events = try HTTPRequestReaderTests.events(
            try Self.reader(["cloudevents_tag": "${type}"]),
            HTTPRequestReaderTests.request("/", contentType: "application/cloudevents-batch+json", body: body))
        #expect(events.map(\.tag) == ["com.example.someevent", "com.example.other"])
        let empty = try HTTPRequestReaderTests.events(
            try Self.reader(), HTTPRequestReaderTests.request("/b", contentType: "application/cloudevents-batch+json", body: "[]"))
        #expect(empty.isEmpty)
    }

    @Test func dataBase64IsDecodedAndKeptAsBase64() throws {
        let body = #"{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"aGVsbG8="}"#
        let events = try HTTPRequestReaderTests.events(
            try Self.reader(), HTTPRequestReaderTests.request("/b64", contentType: "application/cloudevents+json", body: body))
        #expect(events.first?.record == .record(["data_base64": "aGVsbG8="]))
    }

    @Test(arguments: [
        (#"{"id":"1","source":"s","type":"t"}"#, "the required attribute 'specversion' is missing"),
        (#"{"specversion":"1.0","source":"s","type":"t"}"#, "the required attribute 'id' is missing"),
        (#"{"specversion":"1.0","id":"","source":"s","type":"t"}"#, "the required attribute 'id' must be a non-empty string"),
        (#"{"specversion":"0.3","id":"1","source":"s","type":"t"}"#, "specversion '0.3' is not supported"),
        (#"{"specversion":"1.0","id":"1","source":"s","type":"t","time":"yesterday"}"#, "attribute 'time' is not an RFC 3339 timestamp"),
        (#"{"specversion":"1.0","id":"1","source":"s","type":"t","Bad-Name":"x"}"#, "attribute name 'Bad-Name' must be lower-case"),
        (#"{"specversion":"1.0","id":"1","source":"s","type":"t","data":1,"data_base64":"AA=="}"#, "a CloudEvent must not have both"),
        (#"{"specversion":"1.0","id":"1","source":"s","type":"t","ext":{"a":1}}"#, "attribute 'ext' must be a string"),
        (#"[1]"#, "a CloudEvent must be a JSON object"),
        (#"{"specversion":"1.0""#, "the body is not valid JSON"),
    ])
    func invalidEventsNameTheProblem(body: String, problem: String) throws {
        let found = HTTPRequestReaderTests.problem(
            try Self.reader(), HTTPRequestReaderTests.request("/ce", contentType: "application/cloudevents+json", body: body))
        #expect(found?.hasPrefix(problem) == true, "\(found ?? "no problem")")
    }

    @Test func aBadEventInABatchRefusesTheBatchNamingIt() throws {
        let body = "[" + Self.event + #",{"specversion":"1.0","id":"2","type":"t"}]"#
        let found = HTTPRequestReaderTests.problem(
            try Self.reader(), HTTPRequestReaderTests.request("/ce", contentType: "application/cloudevents-batch+json", body: body))
        #expect(found == "event 1 of the batch: the required attribute 'source' is missing")
    }

    @Test func aTemplateAttributeTheEventLacksIsAProblem() throws {
        let found = HTTPRequestReaderTests.problem(
            try Self.reader(["cloudevents_tag": "ce.${subject}"]),
            HTTPRequestReaderTests.request("/", contentType: "application/cloudevents+json", body: Self.event))
        #expect(found == "cloudevents_tag uses attribute 'subject', which the event does not have")
    }

    @Test func withoutCloudEventsTheInputReadsPlainInHTTP() throws {
        // cloudevents off: a ce- header means nothing and the JSON body is an in_http record.
        let events = try HTTPRequestReaderTests.events(
            try HTTPRequestReaderTests.reader(),
            HTTPRequestReaderTests.request("/plain", contentType: "application/json", headers: [("ce-specversion", "1.0")], body: #"{"a":1}"#))
        #expect(events.map(\.record) == [.record(["a": 1])])
    }

    @Test(arguments: [
        ("2018-04-05T17:31:00Z", EventTime(seconds: 1_522_949_460)),
        ("2018-04-05T17:31:00.25Z", EventTime(seconds: 1_522_949_460, nanoseconds: 250_000_000)),
        ("2018-04-05T19:31:00+02:00", EventTime(seconds: 1_522_949_460)),
        ("2018-04-05t17:31:00.123456789z", EventTime(seconds: 1_522_949_460, nanoseconds: 123_456_789)),
    ])
    func rfc3339Times(text: String, time: EventTime) {
        #expect(RFC3339.parse(text) == time)
    }

    @Test(arguments: ["2018-04-05", "2018-04-05T17:31:00", "2018-13-05T17:31:00Z", "2018-04-05T17:31:00+0200"])
    func notRFC3339(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
