import NIOCore
import RunnelConfig
import RunnelForward
import RunnelParsers

/// Reading `<source> @type tcp`, `@type udp` and `@type syslog` (Fluentd v1.16's in_tcp, in_udp
/// and in_syslog).
///
/// | key | type | default | plugins | Fluentd |
/// |---|---|---|---|---|
/// | `tag` | string | required | all | same; in_syslog's is a prefix: `tag.FACILITY.SEVERITY` |
/// | `port` | integer | tcp 5170, udp 5160, syslog 5140 | all | same |
/// | `bind` | string | 0.0.0.0 | all | same |
/// | `<parse>` | section | tcp, udp: required; syslog: `syslog` with `with_priority true` | all | same; the legacy `format` too |
/// | `source_hostname_key` | string | none | all | same (in_tcp/in_udp's `source_host_key` is its old name) |
/// | `source_address_key` | string | none | all | same |
/// | `message_length_limit` | size | tcp none (8 MiB bound), udp 4096, syslog 2048 | all | same: a longer TCP message is dropped with a warning; a longer datagram is cut at the limit (in_syslog: UDP only) |
/// | `delimiter` | string | `"\n"` | tcp, syslog | same |
/// | `send_keepalive_packet` | bool | false | tcp, syslog | same (TCP/TLS only) |
/// | `<transport tls>` | `cert_path`, `private_key_path`, `private_key_passphrase`, `ca_path`, `client_cert_auth`, `min_version` | | tcp, syslog | same |
/// | `remove_newline` | bool | true | udp | same |
/// | `receive_buffer_size` | size | OS default | udp | same (SO_RCVBUF) |
/// | `body_size_limit` | size | none | udp | same: old name of `message_length_limit` |
/// | `<transport udp\|tcp\|tls>` | | udp | syslog | same; `protocol_type tcp\|udp` is its old form |
/// | `frame_type` | `traditional`/`octet_count` | traditional | syslog | same (TCP/TLS) |
/// | `resolve_hostname` | bool | true with `source_hostname_key` | syslog | same; false with `source_hostname_key` is an error |
/// | `severity_key` (or `priority_key`) | string | none | syslog | same |
/// | `facility_key` | string | none | syslog | same |
/// | `include_source_host` / `source_host_key` | bool / string | false / `source_host` | syslog | same: the sender's address under `source_host_key` |
/// | `emit_unmatched_lines` | bool | false | syslog | same: `{"unmatched_line": message}` under `tag.unmatched` |
/// | `blocking_timeout` | time | 0.5 | all | accepted, has no meaning here |
/// | `<security>` `<client>` `host` / `network` | section | none | tcp | same: a connection from an address no `<client>` covers is closed with a warning (`anonymous client 'ADDR' denied`); `host` is resolved at start-up |
/// | `<extract>` `tag_key`, `keep_tag_key` | section | none | tcp, udp | same: the event's tag from that field, the field removed unless `keep_tag_key`; `time_key` and the time parameters are checked and, as in Fluentd, change nothing |
extension SocketInputConfiguration {
    /// `<source> @type tcp`.
    public static func tcp(_ element: ConfigElement) throws -> (SocketInputConfiguration, LineInterpreter) {
        let tag = try element.requiredString("tag")
        let parser = try requiredParser(element)
        let keys = try sourceKeys(element, oldHostnameKey: "source_host_key")
        var configuration = SocketInputConfiguration(
            name: "tcp", bind: element.string("bind", default: "0.0.0.0"), port: try port(element, default: 5170),
            transport: try streamTransport(element), framing: .delimiter(try delimiter(element)),
            resolveHostname: keys.hostnameKey != nil, needsHostname: keys.hostnameKey != nil,
            sendKeepalivePacket: try element.bool("send_keepalive_packet", default: false))
        if let limit = try positiveSize(element, "message_length_limit") { configuration.streamMessageLimit = limit }
        configuration.allowedClients = try allowedClients(element)
        _ = try element.time("blocking_timeout")
        return (configuration, LineInterpreter(parser: parser, tag: tag, sourceKeys: keys, extract: try extract(element)))
    }

    /// `<source> @type udp`.
    public static func udp(_ element: ConfigElement) throws -> (SocketInputConfiguration, LineInterpreter) {
        let tag = try element.requiredString("tag")
        let parser = try requiredParser(element)
        let keys = try sourceKeys(element, oldHostnameKey: "source_host_key")
        var configuration = SocketInputConfiguration(
            name: "udp", bind: element.string("bind", default: "0.0.0.0"), port: try port(element, default: 5160), transport: .udp,
            removeNewline: try element.bool("remove_newline", default: true), receiveBufferSize: try positiveSize(element, "receive_buffer_size"),
            resolveHostname: keys.hostnameKey != nil, needsHostname: keys.hostnameKey != nil)
        let limit = try positiveSize(element, "message_length_limit")
        configuration.datagramLimit = try positiveSize(element, "body_size_limit") ?? limit ?? 4096
        _ = try element.time("blocking_timeout")
        return (configuration, LineInterpreter(parser: parser, tag: tag, sourceKeys: keys, extract: try extract(element)))
    }

    /// `<source> @type syslog`.
    public static func syslog(_ element: ConfigElement) throws -> (SocketInputConfiguration, SyslogInterpreter) {
        let tag = try element.requiredString("tag")
        let transport = try syslogTransport(element)
        var keys = try sourceKeys(element, oldHostnameKey: nil)
        let sourceHostKey = element.string("source_host_key", default: "source_host")
        if try element.bool("include_source_host", default: false) {
            guard keys.addressKey == nil else {
                throw element.rejected("include_source_host", "specify either source_address_key or include_source_host")
            }
            keys.addressKey = sourceHostKey
        }
        var resolve = try element.bool("resolve_hostname") ?? false
        if keys.hostnameKey != nil {
            if element.has("resolve_hostname"), !resolve {
                throw element.rejected("resolve_hostname", "resolve_hostname must be true with source_hostname_key")
            }
            resolve = true
        }
        let keepalive = try element.bool("send_keepalive_packet", default: false)
        if keepalive, case .udp = transport {
            throw element.rejected("send_keepalive_packet", "send_keepalive_packet is available for tcp/tls")
        }
        let framing: MessageFramer.Framing =
            try element.enumeration("frame_type", default: FrameType.traditional) == .octetCount
            ? .octetCounting : .delimiter(try delimiter(element))
        let configuration = SocketInputConfiguration(
            name: "syslog", bind: element.string("bind", default: "0.0.0.0"), port: try port(element, default: 5140),
            transport: transport, framing: framing, datagramLimit: try positiveSize(element, "message_length_limit") ?? 2048,
            resolveHostname: resolve, needsHostname: keys.hostnameKey != nil, sendKeepalivePacket: keepalive)
        _ = try element.time("blocking_timeout")
        let interpreter = SyslogInterpreter(
            parser: try syslogParser(element), tag: tag,
            severityKey: element.string("severity_key") ?? element.string("priority_key"), facilityKey: element.string("facility_key"),
            emitUnmatchedLines: try element.bool("emit_unmatched_lines", default: false), sourceKeys: keys)
        return (configuration, interpreter)
    }

    /// in_tcp's `<security>`: one `<client>` or more, each a `host` (resolved now, as Fluentd
    /// resolves it at start-up) or a `network` (an address or CIDR network).
    static func allowedClients(_ element: ConfigElement) throws -> [IPNetwork]? {
        guard let security = element.element(named: "security") else { return nil }
        let clients = security.elements(named: "client")
        guard !clients.isEmpty else {
            throw ConfigError(.missingParameter, at: security.location, "\(security.title): at least one <client> with host or network is required")
        }
        return try clients.map { client in
            let host = client.string("host")
            let network = client.string("network")
            switch (host, network) {
            case (nil, nil):
                throw ConfigError(.missingParameter, at: client.location, "\(client.title): either of 'host' and 'network' must be specified")
            case (.some, .some):
                throw ConfigError(.invalidValue, at: client.location, "\(client.title): both of 'host' and 'network' are specified")
            case (let host?, nil):
                if let address = IPNetwork(host), !host.contains("/") { return address }
                guard let resolved = try? SocketAddress.makeAddressResolvingHost(host, port: 0), let ip = resolved.ipAddress,
                    let address = IPNetwork(ip)
                else { throw client.rejected("host", "host '\(host)' cannot be resolved") }
                return address
            case (nil, let network?):
                guard let parsed = IPNetwork(network) else {
                    throw client.invalid("network", network, expected: "an address or CIDR network such as 192.168.0.0/16")
                }
                return parsed
            }
        }
    }

    /// in_tcp's and in_udp's `<extract>` (Fluentd's extract helper). `tag_key` takes each event's
    /// tag from that field (removed unless `keep_tag_key`). `time_key`, `keep_time_key`,
    /// `time_type` and `time_format` are read and checked; as in Fluentd they change nothing,
    /// because a parsed message always has its time by then.
    static func extract(_ element: ConfigElement) throws -> LineInterpreter.Extract? {
        guard let section = element.element(named: "extract") else { return nil }
        _ = try section.enumeration("time_type", default: ExtractTimeType.float)
        _ = try section.bool("keep_time_key", default: false)
        _ = section.string("time_key")
        _ = section.string("time_format")
        _ = section.string("timezone")
        _ = try section.bool("localtime")
        _ = try section.bool("utc")
        guard let tagKey = section.string("tag_key") else { return nil }
        return LineInterpreter.Extract(tagKey: tagKey, keepTagKey: try section.bool("keep_tag_key", default: false))
    }

    enum ExtractTimeType: String, CaseIterable {
        case float, unixtime, string
    }

    enum FrameType: String, CaseIterable {
        case traditional
        case octetCount = "octet_count"
    }

    enum SyslogProtocol: String, CaseIterable {
        case udp, tcp, tls
    }

    /// in_syslog's parser: `<parse>` (or legacy `format`), `syslog` by default, whose
    /// `with_priority` defaults to true here.
    static func syslogParser(_ element: ConfigElement) throws -> any LineParser {
        let section = element.element(named: "parse") ?? element
        let type = section.name == "parse" ? section.pluginType : element.string("format")
        guard type == nil || type == "syslog" else { return try ParserRegistry.makeParser(pluginSection: element) }
        do {
            return try SyslogParser(section, defaultWithPriority: true)
        } catch let error as ParserError {
            throw ConfigError(.invalidValue, at: section.location, "\(section.title): \(error)")
        }
    }

    static func requiredParser(_ element: ConfigElement) throws -> any LineParser {
        guard element.element(named: "parse") != nil || element.has("format") else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): <parse> section is required")
        }
        return try ParserRegistry.makeParser(pluginSection: element)
    }

    static func port(_ element: ConfigElement, default value: Int) throws -> Int {
        let port = try element.integer("port", default: value)
        guard (0...65535).contains(port) else { throw element.rejected("port", "must be between 0 and 65535") }
        return port
    }

    static func positiveSize(_ element: ConfigElement, _ key: String) throws -> Int? {
        guard let size = try element.size(key) else { return nil }
        guard size > 0 else { throw element.rejected(key, "must be at least 1 byte") }
        return size
    }

    static func delimiter(_ element: ConfigElement) throws -> [UInt8] {
        let delimiter = Array(element.string("delimiter", default: "\n").utf8)
        guard !delimiter.isEmpty else { throw element.rejected("delimiter", "must not be empty") }
        return delimiter
    }

    static func sourceKeys(_ element: ConfigElement, oldHostnameKey: String?) throws -> SourceKeys {
        SourceKeys(
            addressKey: element.string("source_address_key"),
            hostnameKey: element.string("source_hostname_key") ?? oldHostnameKey.flatMap { element.string($0) })
    }

    /// in_tcp's `<transport tcp|tls>` (tcp when absent).
    static func streamTransport(_ element: ConfigElement) throws -> Transport {
        guard let section = element.element(named: "transport"), !section.argument.isEmpty, section.argument != "tcp" else { return .tcp }
        guard section.argument == "tls" else {
            throw ConfigError(.invalidValue, at: section.location, "\(section.title): the tcp input takes <transport tcp> or <transport tls>")
        }
        return try tls(section)
    }

    /// in_syslog's `<transport udp|tcp|tls>`, or the older `protocol_type`; udp when neither is given.
    static func syslogTransport(_ element: ConfigElement) throws -> Transport {
        if let old: SyslogProtocol = try element.enumeration("protocol_type") {
            guard old != .tls else { throw element.rejected("protocol_type", "takes tcp or udp; use <transport tls> for TLS") }
            return old == .tcp ? .tcp : .udp
        }
        guard let section = element.element(named: "transport") else { return .udp }
        switch section.argument {
        case "", "udp": return .udp
        case "tcp": return .tcp
        case "tls": return try tls(section)
        default:
            throw ConfigError(
                .invalidValue, at: section.location, "\(section.title): the syslog input takes <transport udp>, <transport tcp> or <transport tls>")
        }
    }

    static func tls(_ section: ConfigElement) throws -> Transport {
        let tls = try ForwardTLSConfiguration(element: section)
        do {
            _ = try tls.makeServerContext()
        } catch {
            throw ConfigError(.invalidValue, at: section.location, "\(section.title): \(error)")
        }
        return .tls(tls)
    }
}
