import RunnelConfig
import RunnelCore

/// The parameters of fluent-plugin-concat 2.x's filter, with its names, defaults and checks.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `key` | string | required |
/// | `separator` | string | `"\n"` |
/// | `n_lines` | integer | none |
/// | `multiline_start_regexp`, `multiline_end_regexp`, `continuous_line_regexp` | `/regexp/` | none |
/// | `stream_identity_key` | string | none |
/// | `flush_interval` | time; 0 waits forever | 60 |
/// | `timeout_label` | label name | none (timed-out events go to `@ERROR`) |
/// | `use_first_timestamp` | bool | false |
/// | `partial_key`, `partial_value` | string | none |
/// | `keep_partial_key` | bool | false |
/// | `use_partial_metadata` | bool | false |
/// | `partial_metadata_format` | docker-fluentd, docker-journald, docker-journald-lowercase | docker-fluentd |
/// | `keep_partial_metadata` | bool | false |
/// | `use_partial_cri_logtag` | bool | false |
/// | `partial_cri_logtag_key` | string | none (required with `use_partial_cri_logtag`) |
/// | `partial_cri_stream_key` | string | `stream` |
/// | `buffer_limit_size` | size | 512000 |
/// | `buffer_overflow_method` | ignore, truncate, drop, new | ignore |
public struct ConcatConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        case lines(Int)
        case partial(key: String, value: String)
        case partialMetadata(PartialMetadataFields)
        case partialCRI(logtagKey: String)
        case regexp
    }

    /// The field names of one `partial_metadata_format`.
    public struct PartialMetadataFields: Sendable, Equatable {
        public var message: String
        public var id: String
        public var ordinal: String
        public var last: String
        /// The field whose presence marks a partial record (journald leaves `..._MESSAGE` off the last one).
        public var indicator: String
    }

    public enum OverflowMethod: String, CaseIterable, Sendable { case ignore, truncate, drop, new }
    public enum MetadataFormat: String, CaseIterable, Sendable {
        case dockerFluentd = "docker-fluentd"
        case dockerJournald = "docker-journald"
        case dockerJournaldLowercase = "docker-journald-lowercase"
    }

    public var key: String
    public var separator: String = "\n"
    public var mode: Mode
    public var startRegexp: RubyRegex?
    public var endRegexp: RubyRegex?
    public var continuousRegexp: RubyRegex?
    public var streamIdentityKey: String?
    public var flushInterval: Double = 60
    public var timeoutLabel: String?
    public var useFirstTimestamp = false
    public var keepPartialKey = false
    public var keepPartialMetadata = false
    public var criStreamKey = "stream"
    public var bufferLimitSize = 500 * 1024
    public var overflowMethod = OverflowMethod.ignore

    public init(key: String, mode: Mode) {
        self.key = key
        self.mode = mode
    }

    public init(_ element: ConfigElement) throws {
        key = try element.requiredString("key")
        separator = element.string("separator", default: "\n")
        let nLines = try element.integer("n_lines")
        let start = try ConcatConfiguration.regexp(element, "multiline_start_regexp")
        let end = try ConcatConfiguration.regexp(element, "multiline_end_regexp")
        let continuous = try ConcatConfiguration.regexp(element, "continuous_line_regexp")
        let partialKey = element.string("partial_key")
        let partialValue = element.string("partial_value")
        let useMetadata = try element.bool("use_partial_metadata", default: false)
        let format = try element.enumeration("partial_metadata_format", default: MetadataFormat.dockerFluentd)
        let useCRI = try element.bool("use_partial_cri_logtag", default: false)
        let criKey = element.string("partial_cri_logtag_key")
        let regexps = start != nil || end != nil
        if nLines == nil, !regexps, partialKey == nil, !useMetadata, !useCRI {
            throw ConfigError(
                .structure, at: element.location,
                "\(element.title): Either n_lines, multiline_start_regexp, multiline_end_regexp, partial_key, use_partial_metadata or use_partial_cri_logtag is required"
            )
        }
        func exclusive(_ condition: Bool, _ key: String, _ message: String) throws {
            if condition { throw element.rejected(key, message) }
        }
        try exclusive(nLines != nil && regexps, "n_lines", "n_lines and multiline_start_regexp/multiline_end_regexp are exclusive")
        try exclusive(partialKey != nil && nLines != nil, "partial_key", "partial_key and n_lines are exclusive")
        try exclusive(partialKey != nil && regexps, "partial_key", "partial_key and multiline_start_regexp/multiline_end_regexp are exclusive")
        try exclusive(partialKey != nil && partialValue == nil, "partial_key", "partial_value is required when partial_key is specified")
        try exclusive(useMetadata && nLines != nil, "use_partial_metadata", "use_partial_metadata and n_lines are exclusive")
        try exclusive(useMetadata && regexps, "use_partial_metadata", "use_partial_metadata and multiline_start_regexp/multiline_end_regexp are exclusive")
        try exclusive(useMetadata && partialKey != nil, "use_partial_metadata", "use_partial_metadata and partial_key are exclusive")
        try exclusive(useCRI && nLines != nil, "use_partial_cri_logtag", "use_partial_cri_logtag and n_lines are exclusive")
        try exclusive(useCRI && regexps, "use_partial_cri_logtag", "use_partial_cri_logtag and multiline_start_regexp/multiline_end_regexp are exclusive")
        try exclusive(useCRI && partialKey != nil, "use_partial_cri_logtag", "use_partial_cri_logtag and partial_key are exclusive")
        if let nLines {
            guard nLines > 0 else { throw element.rejected("n_lines", "must be at least 1") }
            mode = .lines(nLines)
        } else if let partialKey, let partialValue {
            mode = .partial(key: partialKey, value: partialValue)
        } else if useMetadata {
            switch format {
            case .dockerFluentd:
                mode = .partialMetadata(
                    .init(message: "partial_message", id: "partial_id", ordinal: "partial_ordinal", last: "partial_last", indicator: "partial_message"))
            case .dockerJournald:
                mode = .partialMetadata(
                    .init(
                        message: "CONTAINER_PARTIAL_MESSAGE", id: "CONTAINER_PARTIAL_ID", ordinal: "CONTAINER_PARTIAL_ORDINAL", last: "CONTAINER_PARTIAL_LAST",
                        indicator: "CONTAINER_PARTIAL_ID"))
            case .dockerJournaldLowercase:
                mode = .partialMetadata(
                    .init(
                        message: "container_partial_message", id: "container_partial_id", ordinal: "container_partial_ordinal", last: "container_partial_last",
                        indicator: "container_partial_id"))
            }
        } else if useCRI {
            guard let criKey else {
                throw element.rejected(
                    "partial_cri_logtag_key", "is required with use_partial_cri_logtag (the field the cri parser puts P or F in, usually logtag)")
            }
            mode = .partialCRI(logtagKey: criKey)
        } else {
            mode = .regexp
        }
        startRegexp = start
        endRegexp = end
        continuousRegexp = continuous
        streamIdentityKey = element.string("stream_identity_key")
        flushInterval = try element.time("flush_interval", default: 60)
        timeoutLabel = element.string("timeout_label")
        useFirstTimestamp = try element.bool("use_first_timestamp", default: false)
        keepPartialKey = try element.bool("keep_partial_key", default: false)
        keepPartialMetadata = try element.bool("keep_partial_metadata", default: false)
        criStreamKey = element.string("partial_cri_stream_key", default: "stream")
        bufferLimitSize = try element.size("buffer_limit_size", default: 500 * 1024)
        overflowMethod = try element.enumeration("buffer_overflow_method", default: OverflowMethod.ignore)
    }

    /// The plugin compiles `value[1..-2]`: the text between the slashes, without flags.
    static func regexp(_ element: ConfigElement, _ key: String) throws -> RubyRegex? {
        guard let written = element.string(key) else { return nil }
        guard written.count >= 2, written.hasPrefix("/"), written.hasSuffix("/") else {
            throw element.invalid(
                key, written, expected: "a regular expression between slashes, /.../ (concat drops the first and last characters; flags are not read)")
        }
        do {
            return try RubyRegex(pattern: String(written.dropFirst().dropLast()), flags: [], source: written)
        } catch {
            throw element.invalid(key, written, expected: "a valid regular expression (\(error))")
        }
    }
}
