import RunnelConfig
import RunnelCore
import RunnelForward
import RunnelParsers

/// `<source> @type http` (Fluentd v1.16's in_http), with CloudEvents over HTTP on the same input.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `port` | integer | 9880 | same |
/// | `bind` | string | 0.0.0.0 | same |
/// | `body_size_limit` | size | 32m | same: a larger body is answered 413 |
/// | `keepalive_timeout` | time | 10 | same: an idle connection is closed after it |
/// | `backlog` | integer | 256 here | same (Fluentd: the OS default) |
/// | `add_http_headers` | bool | false | same: `HTTP_NAME` fields |
/// | `add_remote_addr` | bool | false | same: `REMOTE_ADDR` (the first `X-Forwarded-For` address if sent) |
/// | `add_query_params` | bool | false | same: `QUERY_NAME` fields |
/// | `cors_allow_origins` | array | none | same, with `*` patterns |
/// | `cors_allow_credentials` | bool | false | same; needs specific origins |
/// | `respond_with_empty_img` | bool | false | same: a 1x1 GIF |
/// | `use_204_response` | bool | false | same |
/// | `dump_error_log` | bool | true | same: log each refused request |
/// | `blocking_timeout` | time | 0.5 | accepted, has no meaning here |
/// | `<parse>` | section | `in_http` | same: `in_http` reads `json=`/`msgpack=`/`ndjson=` and JSON, MessagePack or NDJSON bodies; any other parser gets the body |
/// | `<transport tls>` | `cert_path`, `private_key_path`, `private_key_passphrase`, `ca_path`, `client_cert_auth`, `min_version` | | same |
/// | `cloudevents` | bool | false | Runnel only: CloudEvents 1.0 over HTTP (binary, structured, batched) |
/// | `cloudevents_tag` | string | the URL path | Runnel only: a template of event attributes, `${type}`, `${source}`, `${tag}` (the URL path's tag) |
/// | `cloudevents_payload` | `data`/`event` | data | Runnel only: the record is the event's data, or the whole event |
public struct HTTPInputConfiguration: Sendable {
    public var bind = "0.0.0.0"
    public var port = 9880
    public var bodySizeLimit = 32 * 1024 * 1024
    public var keepaliveTimeout = 10.0
    public var backlog = 256
    public var addHTTPHeaders = false
    public var addRemoteAddr = false
    public var addQueryParams = false
    public var corsAllowOrigins: [String]?
    public var corsAllowCredentials = false
    public var respondWithEmptyImage = false
    public var use204Response = false
    public var dumpErrorLog = true
    public var tls: ForwardTLSConfiguration?
    /// How bodies become records.
    public var format: BodyFormat = .default(DefaultFormat())
    public var cloudEvents: CloudEventsConfiguration?

    public enum BodyFormat: Sendable {
        /// `<parse @type in_http>`: `json`, `msgpack` or `ndjson` parameters (or bodies).
        case `default`(DefaultFormat)
        /// Any other parser: it gets the body, and its first event is the record.
        case parser(type: String, parser: any LineParser)
    }

    /// in_http's own parser: the record's time is its `time_key` field, read as Unix time unless
    /// `time_type`/`time_format` are given.
    public struct DefaultFormat: Sendable {
        public var timeKey: String? = "time"
        public var keepTimeKey = false
        public var timeParser: TimeParser?

        public init() {}
    }

    public init() {}
}

/// CloudEvents 1.0 on the HTTP input.
public struct CloudEventsConfiguration: Sendable {
    public enum Payload: String, Sendable, CaseIterable {
        case data, event
    }

    /// `cloudevents_tag`: nil tags events by the URL path, as in_http does.
    public var tagTemplate: [TagTemplatePart]?
    public var payload: Payload = .data

    public enum TagTemplatePart: Sendable, Equatable {
        case text(String)
        case attribute(String)
    }

    public init() {}

    /// `${name}` placeholders among literal text.
    static func parseTemplate(_ text: String) -> [TagTemplatePart]? {
        var parts: [TagTemplatePart] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return nil }
            let name = String(rest[open.upperBound..<close])
            guard !name.isEmpty else { return nil }
            parts.append(.attribute(name))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return parts
    }
}

extension HTTPInputConfiguration {
    public init(_ element: ConfigElement) throws {
        self.init()
        bind = element.string("bind", default: "0.0.0.0")
        port = try element.integer("port", default: 9880)
        guard (0...65535).contains(port) else { throw element.rejected("port", "must be between 0 and 65535") }
        bodySizeLimit = try element.size("body_size_limit", default: 32 * 1024 * 1024)
        guard bodySizeLimit > 0 else { throw element.rejected("body_size_limit", "must be at least 1 byte") }
        keepaliveTimeout = try element.time("keepalive_timeout", default: 10)
        guard keepaliveTimeout > 0 else { throw element.rejected("keepalive_timeout", "must be more than 0") }
        backlog = try element.integer("backlog", default: 256)
        guard backlog > 0 else { throw element.rejected("backlog", "must be at least 1") }
        addHTTPHeaders = try element.bool("add_http_headers", default: false)
        addRemoteAddr = try element.bool("add_remote_addr", default: false)
        addQueryParams = try element.bool("add_query_params", default: false)
        corsAllowOrigins = try element.array("cors_allow_origins")
        corsAllowCredentials = try element.bool("cors_allow_credentials", default: false)
        if corsAllowCredentials, corsAllowOrigins == nil || corsAllowOrigins!.contains("*") {
            throw element.rejected("cors_allow_credentials", "Cannot enable cors_allow_credentials without specific origins")
        }
        respondWithEmptyImage = try element.bool("respond_with_empty_img", default: false)
        use204Response = try element.bool("use_204_response", default: false)
        dumpErrorLog = try element.bool("dump_error_log", default: true)
        _ = try element.time("blocking_timeout")
        tls = try Self.transport(element)
        format = try Self.bodyFormat(element)
        if try element.bool("cloudevents", default: false) {
            var cloudEvents = CloudEventsConfiguration()
            if let raw = element.string("cloudevents_tag") {
                guard let template = CloudEventsConfiguration.parseTemplate(raw) else {
                    throw element.invalid("cloudevents_tag", raw, expected: "text with ${attribute} placeholders such as events.${type}")
                }
                cloudEvents.tagTemplate = template
            }
            cloudEvents.payload = try element.enumeration("cloudevents_payload", default: CloudEventsConfiguration.Payload.data)
            self.cloudEvents = cloudEvents
        } else {
            for key in ["cloudevents_tag", "cloudevents_payload"] where element.has(key) {
                throw element.rejected(key, "needs cloudevents true")
            }
        }
    }

    static func transport(_ element: ConfigElement) throws -> ForwardTLSConfiguration? {
        guard let section = element.element(named: "transport"), section.argument != "tcp" else { return nil }
        guard section.argument == "tls" else {
            throw ConfigError(.invalidValue, at: section.location, "\(section.title): the http input takes <transport tcp> or <transport tls>")
        }
        let tls = try ForwardTLSConfiguration(element: section)
        do {
            _ = try tls.makeServerContext()
        } catch {
            throw ConfigError(.invalidValue, at: section.location, "\(section.title): \(error)")
        }
        return tls
    }

    static func bodyFormat(_ element: ConfigElement) throws -> BodyFormat {
        let section = element.element(named: "parse")
        let type = section.map { $0.pluginType ?? "in_http" } ?? element.string("format") ?? "in_http"
        guard type != "in_http" else {
            var format = DefaultFormat()
            if let section {
                let common = try ParserCommon(section, defaultTimeKey: "time")
                format.timeKey = common.timeKey
                format.keepTimeKey = common.keepTimeKey
                if section.has("time_type") || section.has("time_format") { format.timeParser = common.timeParser }
            }
            return .default(format)
        }
        return .parser(type: type, parser: try ParserRegistry.makeParser(pluginSection: element))
    }
}
