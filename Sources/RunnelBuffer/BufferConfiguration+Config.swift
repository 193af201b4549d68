import RunnelConfig

/// Reads `<buffer CHUNK_KEYS>` of a `<match>`.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `@type` | memory, file | the output's default (`defaultType`) | same |
/// | argument | chunk keys: `tag`, `time`, record keys, `$.a.b` | none | same |
/// | `timekey` | time | 1d | same (required when `time` is a key) |
/// | `timekey_wait` | time | 600s | same |
/// | `timekey_use_utc` | bool | false | same |
/// | `timekey_zone` | `+0900`, zone name | local | same |
/// | `path` | string | `<root_dir>/buffer/<plugin>` for file | same; required without `root_dir` |
/// | `path_suffix` | string | `.log` | same |
/// | `chunk_limit_size` | size | 8m memory, 256m file | same |
/// | `chunk_limit_records` | integer | none | same |
/// | `total_limit_size` | size | 512m memory, 64g file | same |
/// | `queue_limit_length` | integer | none (deprecated: sets total = chunk × length) | same |
/// | `chunk_full_threshold` | float | 0.95 | same |
/// | `compress` | text, gzip | text | gzip: each write is one gzip member, in memory and on disk, as Fluentd stores compressed chunks; `chunk_limit_size` counts the uncompressed bytes (Fluentd: the compressed size) |
/// | `flush_mode` | default, lazy, interval, immediate | default | same |
/// | `flush_interval` | time | 60s | same |
/// | `flush_thread_count` | integer | 1 | same |
/// | `flush_thread_interval` | float | 1.0 | same |
/// | `flush_thread_burst_interval` | float | 1.0 | same |
/// | `flush_at_shutdown` | bool | true memory, false file | same |
/// | `delayed_commit_timeout` | time | 60s | accepted (no delayed commit in Runnel) |
/// | `overflow_action` | throw_exception, block, drop_oldest_chunk | throw_exception | same |
/// | `retry_type` | exponential_backoff, periodic | exponential_backoff | same |
/// | `retry_wait` | time | 1s | same |
/// | `retry_exponential_backoff_base` | float | 2 | same |
/// | `retry_max_interval` | time | none | same |
/// | `retry_randomize` | bool | true | same |
/// | `retry_timeout` | time | 72h | same |
/// | `retry_max_times` | integer | none | same |
/// | `retry_forever` | bool | false | same |
/// | `retry_secondary_threshold` | float (0,1) | 0.8 | same |
/// | `file_permission` | octal | `<system>`'s, else 0644 | same |
/// | `dir_permission` | octal | `<system>`'s, else 0755 | same |
/// | `durable` | bool | false | Runnel only: group-committed fsync before acknowledging |
extension BufferConfiguration {
    /// Reads `element` (a `<buffer>` section, or nil when the `<match>` has none).
    ///
    /// An output's own defaults, as Fluentd plugins set them with `config_set_default` in their
    /// `<buffer>` section: `defaultChunkKeys` when the section names none (`<buffer []>` is none),
    /// `defaultTimekey` when `time` is a key without `timekey`, `defaultPath` for a file buffer
    /// without `path` (before root_dir's).
    public init(
        element: ConfigElement?, defaultType: StorageType, defaultChunkKeys: String = "",
        defaultTimekey: Int? = nil, defaultPath: String? = nil, pluginName: String, explicitID: String? = nil,
        rootDirectory: String?, permissions: (file: UInt16, directory: UInt16) = (0o644, 0o755)
    ) throws {
        let type = try element?.enumeration("@type", default: defaultType) ?? defaultType
        let argument = element?.argument ?? ""
        let parsed = ChunkKeys.parse(argument.isEmpty ? defaultChunkKeys : argument == "[]" ? "" : argument)
        if let bad = parsed.invalid.first, let element {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): '\(bad)' is not a valid chunk key")
        }
        self.init(type: type, chunkKeys: parsed.keys)
        filePermission = permissions.file
        dirPermission = permissions.directory
        guard let element else {
            if chunkKeys.time != nil, let defaultTimekey { chunkKeys.time?.period = defaultTimekey }
            if type == .file {
                path = try defaultPath ?? Self.defaultPath(rootDirectory: rootDirectory, pluginName: pluginName, explicitID: explicitID, element: nil)
            }
            return
        }
        try readChunkKeyOptions(element, defaultTimekey: defaultTimekey)
        if type == .file, !element.has("path"), let defaultPath, rootDirectory == nil { path = defaultPath }
        try readStorage(element, pluginName: pluginName, explicitID: explicitID, rootDirectory: rootDirectory)
        try readFlush(element)
        try readRetry(element)
    }

    mutating func readChunkKeyOptions(_ element: ConfigElement, defaultTimekey: Int? = nil) throws {
        guard var time = chunkKeys.time else {
            for key in ["timekey", "timekey_wait", "timekey_use_utc", "timekey_zone"] where element.has(key) {
                element.markUsed(key)
            }
            return
        }
        guard let period = try element.time("timekey") ?? defaultTimekey.map(Double.init) else {
            throw ConfigError(.missingParameter, at: element.location, "\(element.title): 'timekey' is required when 'time' is a chunk key")
        }
        guard period >= 1 else { throw element.rejected("timekey", "must be at least 1 second") }
        time.period = Int(period)
        time.wait = try element.time("timekey_wait", default: 600)
        time.useUTC = try element.bool("timekey_use_utc", default: false)
        if let zone = element.string("timekey_zone") {
            guard ChunkKeys.parseZoneOffset(zone) != nil else {
                throw element.invalid("timekey_zone", zone, expected: "an offset such as +0900 or a zone name")
            }
            time.zone = zone
        }
        chunkKeys.time = time
    }

    mutating func readStorage(_ element: ConfigElement, pluginName: String, explicitID: String?, rootDirectory: String?) throws {
        if type == .file {
            path =
                try element.string("path") ?? path
                ?? Self.defaultPath(rootDirectory: rootDirectory, pluginName: pluginName, explicitID: explicitID, element: element)
        } else if element.has("path") {
            element.markUsed("path")
        }
        pathSuffix = element.string("path_suffix", default: pathSuffix)
        chunkLimitSize = try element.size("chunk_limit_size", default: chunkLimitSize)
        guard chunkLimitSize > 0 else { throw element.rejected("chunk_limit_size", "must be positive") }
        chunkLimitRecords = try element.integer("chunk_limit_records")
        if let records = chunkLimitRecords, records < 1 { throw element.rejected("chunk_limit_records", "must be positive") }
        totalLimitSize = try element.size("total_limit_size", default: totalLimitSize)
        queueLimitLength = try element.integer("queue_limit_length")
        chunkFullThreshold = try element.float("chunk_full_threshold", default: chunkFullThreshold)
        guard chunkFullThreshold > 0, chunkFullThreshold <= 1 else {
            throw element.rejected("chunk_full_threshold", "must be in (0, 1]")
        }
        guard chunkLimitSize <= effectiveTotalLimit else {
            throw element.rejected("chunk_limit_size", "is larger than total_limit_size (\(effectiveTotalLimit))")
        }
        compress = try element.enumeration("compress", default: compress)
        overflowAction = try element.enumeration("overflow_action", default: overflowAction)
        filePermission = try element.permission("file_permission", default: filePermission)
        dirPermission = try element.permission("dir_permission", default: dirPermission)
        durable = try element.bool("durable", default: false)
    }

    mutating func readFlush(_ element: ConfigElement) throws {
        flushMode = try element.enumeration("flush_mode", default: flushMode)
        flushInterval = try element.time("flush_interval", default: flushInterval)
        flushThreadCount = try element.integer("flush_thread_count", default: flushThreadCount)
        guard flushThreadCount >= 1 else { throw element.rejected("flush_thread_count", "must be at least 1") }
        flushThreadInterval = try element.float("flush_thread_interval", default: flushThreadInterval)
        flushThreadBurstInterval = try element.float("flush_thread_burst_interval", default: flushThreadBurstInterval)
        flushAtShutdown = try element.bool("flush_at_shutdown", default: flushAtShutdown)
        delayedCommitTimeout = try element.time("delayed_commit_timeout", default: delayedCommitTimeout)
        if flushMode == .lazy, chunkKeys.time == nil {
            throw element.rejected("flush_mode", "lazy needs 'time' as a chunk key (use interval or immediate)")
        }
    }

    mutating func readRetry(_ element: ConfigElement) throws {
        retry.type = try element.enumeration("retry_type", default: retry.type)
        retry.wait = try element.time("retry_wait", default: retry.wait)
        retry.backoffBase = try element.float("retry_exponential_backoff_base", default: retry.backoffBase)
        retry.maxInterval = try element.time("retry_max_interval")
        retry.randomize = try element.bool("retry_randomize", default: retry.randomize)
        retry.timeout = try element.time("retry_timeout", default: retry.timeout)
        retry.maxTimes = try element.integer("retry_max_times")
        retry.forever = try element.bool("retry_forever", default: retry.forever)
        retry.secondaryThreshold = try element.float("retry_secondary_threshold", default: retry.secondaryThreshold)
        guard retry.secondaryThreshold > 0, retry.secondaryThreshold < 1 else {
            throw element.rejected("retry_secondary_threshold", "must be between 0 and 1 (exclusive)")
        }
        guard retry.wait > 0 else { throw element.rejected("retry_wait", "must be positive") }
    }

    /// A file buffer without `path` lives in the plugin's root directory, as Fluentd's buf_file
    /// puts it (`plugin_root_dir`: root_dir/worker0/<@id>/buffer, which needs both root_dir and @id).
    static func defaultPath(rootDirectory: String?, pluginName: String, explicitID: String?, element: ConfigElement?) throws -> String {
        let location = element?.location ?? .synthesized
        guard let rootDirectory else {
            throw ConfigError(
                .missingParameter, at: location,
                "<buffer> of \(pluginName): 'path' is required for @type file (or set root_dir in <system> and give the output an @id)")
        }
        guard let explicitID else {
            throw ConfigError(
                .missingParameter, at: location,
                "<buffer> of \(pluginName): 'path' is required for @type file; with root_dir, give the output an @id (its buffer then lives in \(rootDirectory)/worker0/<@id>/buffer)"
            )
        }
        return rootDirectory + "/worker0/" + explicitID + "/buffer"
    }
}
