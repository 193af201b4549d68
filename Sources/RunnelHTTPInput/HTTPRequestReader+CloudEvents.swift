import NIOHTTP1
import RunnelCore
import RunnelHTTPServer

/// The three ways the CloudEvents HTTP binding sends events.
enum CloudEventMode: Sendable, Equatable {
    /// `ce-` headers hold the attributes, the body is the data.
    case binary
    /// `application/cloudevents+json`: one event in the JSON format.
    case structured
    /// `application/cloudevents-batch+json`: a JSON array of events.
    case batched

    /// The mode of a request, or nil when it is not a CloudEvents request (plain in_http then).
    init?(contentType: String, headers: HTTPHeaders) {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if media == "application/cloudevents+json" {
            self = .structured
        } else if media == "application/cloudevents-batch+json" {
            self = .batched
        } else if headers.contains(name: "ce-specversion") {
            self = .binary
        } else {
            return nil
        }
    }
}

extension HTTPRequestReader {
    func cloudEvents(
        _ mode: CloudEventMode, _ configuration: CloudEventsConfiguration, request: HTTPRequest, body: [UInt8], tag: String, now: EventTime
    ) throws(HTTPInputProblem) -> Events {
        var events: [CloudEvent] = []
        switch mode {
        case .binary:
            events = [try CloudEvent.binary(headers: request.headers.map { ($0.name, $0.value) }, body: body)]
        case .structured:
            events = [try CloudEvent.structured(try Self.json(body))]
        case .batched:
            guard case .array(let values) = try Self.json(body) else {
                throw HTTPInputProblem("a batch of CloudEvents must be a JSON array")
            }
            for (index, value) in values.enumerated() {
                do {
                    events.append(try CloudEvent.structured(value))
                } catch {
                    throw HTTPInputProblem("event \(index) of the batch: \(error)")
                }
            }
        }
        var builders: [String: EventStreamBuilder] = [:]
        var order: [String] = []
        for (index, event) in events.enumerated() {
            let eventTag: String
            do {
                eventTag = try Self.tag(of: event, configuration.tagTemplate, pathTag: tag)
            } catch {
                throw events.count > 1 ? HTTPInputProblem("event \(index) of the batch: \(error)") : error
            }
            if builders[eventTag] == nil {
                builders[eventTag] = EventStreamBuilder(tag: eventTag)
                order.append(eventTag)
            }
            builders[eventTag]!.append(time: event.time ?? now, record: event.record(configuration.payload))
        }
        return Events(streams: order.map { builders[$0]!.take() })
    }

    static func json(_ body: [UInt8]) throws(HTTPInputProblem) -> MessagePackValue {
        do {
            return try JSONReader.decode(body)
        } catch {
            throw HTTPInputProblem("the body is not valid JSON: \(error)")
        }
    }

    /// The tag `cloudevents_tag` makes of an event's attributes (`${tag}` is the URL path's), or
    /// the URL path's tag without a template.
    static func tag(of event: CloudEvent, _ template: [CloudEventsConfiguration.TagTemplatePart]?, pathTag: String) throws(HTTPInputProblem)
        -> String
    {
        guard let template else {
            guard !pathTag.isEmpty else { throw HTTPInputProblem("the URL path gives no tag and cloudevents_tag is not set") }
            return pathTag
        }
        var tag = ""
        for part in template {
            switch part {
            case .text(let text): tag += text
            case .attribute("tag"): tag += pathTag
            case .attribute(let name):
                guard let value = event.attribute(name) else {
                    throw HTTPInputProblem("cloudevents_tag uses attribute '\(name)', which the event does not have")
                }
                switch value {
                case .string(let s): tag += s
                case .int(let i): tag += String(i)
                case .uint(let u): tag += String(u)
                case .bool(let b): tag += String(b)
                default: tag += "\(value)"
                }
            }
        }
        guard !tag.isEmpty else { throw HTTPInputProblem("cloudevents_tag gives an empty tag") }
        return tag
    }
}
