import RunnelCore
import RunnelFormat
import Foundation
import RunnelConfig

/// Reading a `<match>` of `@type kinesis_streams`, `kinesis_streams_aggregated` or `kinesis_firehose`.
///
/// | key | type | default | fluent-plugin-kinesis |
/// |---|---|---|---|
/// | `stream_name` (streams, aggregated) | string, `${tag}`/`${key}` placeholders | required | same |
/// | `delivery_stream_name` (firehose) | string, placeholders | required | same |
/// | `region` | string | `AWS_REGION`, else `AWS_DEFAULT_REGION` | same |
/// | `endpoint` | URL, http or https, any port | `AWS_ENDPOINT_URL_KINESIS` (`_FIREHOSE`), else `AWS_ENDPOINT_URL`, else the AWS endpoint of the region | same; the variables are the AWS SDKs' |
/// | `ssl_verify_peer` | bool | true | same (used by the HTTP client the app builds) |
/// | `http_proxy` | URL | none | same (used by the HTTP client the app builds) |
/// | `partition_key` (streams) | field or `$.a.b` | random key | same; missing/empty/over-256 keys fall back to random |
/// | `fixed_partition_key` (aggregated) | string | random per aggregated record | same |
/// | `fixed_partition_key` (streams) | string | none | Runnel only: one key for every record (an event router targeting one shard) |
/// | `data_key` | field | none (whole record formatted) | same |
/// | `log_truncate_max_size` | integer | 1024 (0: no truncation) | same |
/// | `compression` | `zlib` or `gzip` | none | same |
/// | `chomp_record` | bool | false | same |
/// | `append_new_line` | bool | true for firehose, false otherwise | firehose only |
/// | `max_record_size` | size | 1 MiB (firehose 1,000 KiB); up to 10 MiB for streams | 1 MiB max |
/// | `retries_on_batch_request` | integer | 8 | same |
/// | `reset_backoff_if_success` | bool | true | same |
/// | `batch_request_max_count` | integer | 500 (aggregated: 100,000), never more | same |
/// | `batch_request_max_size` | size | 5 MiB (firehose 4 MiB, aggregated 1 MiB); streams up to 10 MiB | same |
/// | `drop_failed_records_after_batch_request_retries` | bool | **false** | true |
/// | `monitor_num_of_batch_request_retries` | bool | false | same |
/// | `retain_ordering` | bool | false | Runnel only |
/// | `adaptive_pacing` | bool | false | Runnel only |
/// | `max_concurrent_requests` | integer | 4 | Runnel only |
/// | `request_timeout` | time | 30s | Runnel only |
/// | `debug` | bool | false | accepted, ignored |
/// | `<format>` | section | `@type json` | same formatters: json, single_value, ltsv, csv, msgpack, hash, out_file |
/// | `include_time_key`, `include_tag_key` | bool | false | accepted and, as in fluent-plugin-kinesis, without effect (a warning when true); use `<inject>` |
/// | `<inject>` | section | `time_type string`, `time_format %Y-%m-%dT%H:%M:%S.%N%z` | same |
extension KinesisConfiguration {
    public init(
        from element: ConfigElement, kind: KinesisOutputKind,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let nameKey = kind == .firehose ? "delivery_stream_name" : "stream_name"
        let streamName = try element.requiredString(nameKey)
        guard let region = element.string("region").flatMap({ $0.isEmpty ? nil : $0 }) ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"],
            !region.isEmpty
        else {
            throw ConfigError(
                .missingParameter, at: element.location,
                "\(element.title): 'region' is required (or set AWS_REGION / AWS_DEFAULT_REGION)")
        }
        self.init(kind: kind, streamName: streamName, region: region)

        endpoint = try Self.endpoint(
            element, environment: environment, variable: kind == .firehose ? "AWS_ENDPOINT_URL_FIREHOSE" : "AWS_ENDPOINT_URL_KINESIS")
        sslVerifyPeer = try element.bool("ssl_verify_peer", default: true)
        httpProxy = element.string("http_proxy")
        if kind == .streams, let raw = element.string("partition_key") {
            guard let accessor = RecordAccessor(raw) else {
                throw element.invalid("partition_key", raw, expected: "a field name or a record accessor such as $.a.b")
            }
            partitionKey = accessor
        }
        if kind != .firehose, let fixed = element.string("fixed_partition_key") {
            guard !fixed.isEmpty, fixed.unicodeScalars.count <= PartitionKeyExtractor.maximumCharacters else {
                throw element.rejected("fixed_partition_key", "must be 1 to \(PartitionKeyExtractor.maximumCharacters) characters long")
            }
            if kind == .streams, element.has("partition_key") {
                throw element.rejected("fixed_partition_key", "give either partition_key or fixed_partition_key")
            }
            fixedPartitionKey = fixed
        }
        dataKey = element.string("data_key")
        logTruncateMaxSize = try element.integer("log_truncate_max_size", default: 1024)
        if let raw = element.string("compression") {
            // fluent-plugin-kinesis compresses with zlib or gzip and ignores any other value.
            compression = RecordCompression(rawValue: raw) ?? .none
        }
        chompRecord = try element.bool("chomp_record", default: false)
        appendNewLine = try element.bool("append_new_line", default: kind == .firehose)
        maxRecordSize = try element.size("max_record_size", default: kind.defaultRecordSize)
        guard maxRecordSize > 0, maxRecordSize <= kind.maximumRecordSize else {
            throw element.rejected("max_record_size", "must be between 1 and \(kind.maximumRecordSize) bytes")
        }
        retriesOnBatchRequest = try element.integer("retries_on_batch_request", default: 8)
        guard retriesOnBatchRequest >= 0 else { throw element.rejected("retries_on_batch_request", "must be 0 or more") }
        resetBackoffIfSuccess = try element.bool("reset_backoff_if_success", default: true)
        batchRequestMaxCount = try element.integer("batch_request_max_count", default: kind.apiRecordLimit)
        guard batchRequestMaxCount > 0, batchRequestMaxCount <= kind.apiRecordLimit else {
            throw element.rejected("batch_request_max_count", "can't be greater than \(kind.apiRecordLimit)")
        }
        batchRequestMaxSize = try element.size("batch_request_max_size", default: kind.defaultRequestSize)
        guard batchRequestMaxSize > 0, batchRequestMaxSize <= kind.maximumRequestSize else {
            throw element.rejected("batch_request_max_size", "can't be greater than \(kind.maximumRequestSize) bytes")
        }
        dropFailedRecordsAfterBatchRequestRetries = try element.bool(
            "drop_failed_records_after_batch_request_retries", default: false)
        monitorNumOfBatchRequestRetries = try element.bool("monitor_num_of_batch_request_retries", default: false)
        adaptivePacing = try element.bool("adaptive_pacing", default: false)
        maxConcurrentRequests = try element.integer("max_concurrent_requests", default: 4)
        guard (1...64).contains(maxConcurrentRequests) else { throw element.rejected("max_concurrent_requests", "must be from 1 to 64") }
        retainOrdering = try element.bool("retain_ordering", default: false)
        let timeout = try element.time("request_timeout", default: 30)
        guard timeout > 0 else { throw element.rejected("request_timeout", "must be positive") }
        requestTimeout = .milliseconds(Int64(timeout * 1000))
        _ = try element.bool("debug")
        // Fluentd v0.12 names that fluent-plugin-kinesis never converts to <inject> (it calls no
        // compat_parameters_convert), so they change nothing there; nor here, with a warning when on.
        for key in ["include_time_key", "include_tag_key"] {
            if try element.bool(key, default: false) { ineffectiveParameters.append(key) }
        }

        if let section = element.element(named: "format") { format = try FormatConfiguration(from: section) }
        if let section = element.element(named: "inject") {
            let parsed = try InjectConfiguration(from: section)
            inject = parsed.isEmpty ? nil : parsed
        }
    }
}

extension KinesisConfiguration {
    /// An AWS API endpoint: the section's `endpoint`, else the AWS SDKs' endpoint variables (the
    /// service's own `variable`, then `AWS_ENDPOINT_URL`), else nil (the region's). Each must be
    /// an http:// or https:// URL; a bad one is an error naming where it came from.
    public static func endpoint(_ element: ConfigElement, environment: [String: String], variable: String) throws -> URL? {
        if let raw = element.string("endpoint") {
            guard let url = endpointURL(raw) else { throw element.invalid("endpoint", raw, expected: "an http:// or https:// URL") }
            return url
        }
        guard
            let (name, raw) = [variable, "AWS_ENDPOINT_URL"].lazy.compactMap({ name in
                environment[name].flatMap { $0.isEmpty ? nil : (name, $0) }
            }).first
        else { return nil }
        guard let url = endpointURL(raw) else {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): \(name) '\(raw)' is not an http:// or https:// URL")
        }
        return url
    }

    static func endpointURL(_ raw: String) -> URL? {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { return nil }
        return url
    }
}
