import RunnelConfig
import RunnelParsers
import RunnelCore

extension TailInputConfiguration {
    /// Reads `<source> @type tail`.
    ///
    /// | key | type | default | meaning (Fluentd's in_tail) |
    /// |---|---|---|---|
    /// | `path` | string | required | paths split at `path_delimiter`; strftime `%Y %m %d ...`; a path with `*` is a Ruby `Dir.glob` pattern (`*`, `?`, `[...]`, `{a,b}`, `**/` for any depth) |
    /// | `path_delimiter` | string | `,` | what separates paths in `path` |
    /// | `glob_policy` | `backward_compatible`/`extended`/`always` | `backward_compatible` | which paths are patterns: with `*`; or `*`, `?`, `[...]`; or those and `{a,b}` |
    /// | `exclude_path` | array | `[]` | paths (patterns as in `path`) not to tail |
    /// | `limit_recently_modified` | time | none | files a pattern matches are left out when not modified for this long |
    /// | `path_timezone` | string | local time | zone of the strftime placeholders in `path`: a fixed offset (`+09:00`, `UTC`) |
    /// | `open_on_every_update` | bool | false | accepted; files stay open (rotation is followed by inode) |
    /// | `tag` | string | required | a `*` is replaced by the path with `/` → `.` |
    /// | `pos_file` | string | none | positions, in Fluentd's format (path, 16-hex position, 16-hex inode) |
    /// | `pos_file_compaction_interval` | time | none | rewrite the pos_file without unwatched lines this often |
    /// | `read_from_head` | bool | false | files found at start-up without a position start at the head, not the end |
    /// | `refresh_interval` | time | 60 | how often `path` is expanded again |
    /// | `rotate_wait` | time | 5 | how long a rotated file is still read |
    /// | `follow_inodes` | bool | false | a file is identified by inode: a rotated file matched again by the glob is not read twice |
    /// | `read_lines_limit` | integer | 1000 | lines per read (and per emitted batch) |
    /// | `read_bytes_limit_per_second` | size | -1 | per file; -1 is no limit |
    /// | `max_line_size` | size | none | longer lines are skipped with a warning |
    /// | `path_key` | string | none | add the file path to each record under this key |
    /// | `skip_refresh_on_startup` | bool | false | do not expand `path` at start-up, only after `refresh_interval` |
    /// | `encoding` / `from_encoding` | string | UTF-8 | `from_encoding` `ISO-8859-1` is converted to UTF-8; `ASCII-8BIT` passes bytes as is |
    /// | `emit_unmatched_lines` | bool | false | lines the parser does not match are emitted as `{"unmatched_line": line}` |
    /// | `ignore_repeated_permission_error` | bool | false | warn once per path about unreadable files |
    /// | `enable_watch_timer` | bool | true | look at every file each second |
    /// | `enable_stat_watcher` | bool | true | inotify: read as soon as a file changes |
    /// | `multiline_flush_interval` | time | none | emit a held multiline event or unterminated line after this long |
    /// | `<parse>` | section | `@type none` | how lines become records |
    public init(_ element: ConfigElement) throws {
        let pathText = try element.requiredString("path")
        let delimiter = element.string("path_delimiter", default: ",")
        let policy: PathExpander.GlobPolicy = try element.enumeration("glob_policy", default: .backwardCompatible)
        // in_tail.rb configure.
        if policy == .always, delimiter == "," {
            throw element.rejected("glob_policy", "cannot use glob_policy as always with the default path_delimiter: `,\"")
        }
        if ["/", "*", "%"].contains(delimiter) {
            throw element.rejected("path_delimiter", "/, *, % are reserved words: \(delimiter)")
        }
        var paths: [String] = []
        for part in pathText.components(separatedBy: delimiter) {
            let path = part.trimmingSpaces
            if !path.isEmpty, !paths.contains(path) { paths.append(path) }
        }
        self.init(paths: paths, tag: try element.requiredString("tag"))
        globPolicy = policy
        excludePaths = try element.array("exclude_path", default: [])
        limitRecentlyModified = try element.time("limit_recently_modified")
        if let zone = element.string("path_timezone") {
            guard let offset = UTCOffset.parse(zone) else {
                throw element.rejected("path_timezone", "'\(zone)' is not a fixed offset such as +09:00, -0700 or UTC")
            }
            pathTimezoneOffset = offset
        }
        _ = try element.bool("open_on_every_update", default: false)
        posFile = element.string("pos_file")
        posFileCompactionInterval = try element.time("pos_file_compaction_interval")
        readFromHead = try element.bool("read_from_head", default: false)
        refreshInterval = try element.time("refresh_interval", default: 60)
        rotateWait = try element.time("rotate_wait", default: 5)
        followInodes = try element.bool("follow_inodes", default: false)
        readLinesLimit = try element.integer("read_lines_limit", default: 1000)
        if let limit = try element.size("read_bytes_limit_per_second") { readBytesLimitPerSecond = limit }
        maxLineSize = try element.size("max_line_size")
        pathKey = element.string("path_key")
        skipRefreshOnStartup = try element.bool("skip_refresh_on_startup", default: false)
        if let encoding = element.string("encoding"), encoding.uppercased() != "UTF-8" {
            throw element.rejected("encoding", "only UTF-8 output is supported")
        }
        fromEncoding = try element.enumeration("from_encoding", default: .utf8)
        emitUnmatchedLines = try element.bool("emit_unmatched_lines", default: false)
        ignoreRepeatedPermissionError = try element.bool("ignore_repeated_permission_error", default: false)
        enableWatchTimer = try element.bool("enable_watch_timer", default: true)
        enableStatWatcher = try element.bool("enable_stat_watcher", default: true)
        multilineFlushInterval = try element.time("multiline_flush_interval")
        if let interval = try element.time("watch_interval") { watchInterval = interval }
        guard readLinesLimit > 0 else { throw element.rejected("read_lines_limit", "must be greater than 0") }
        guard enableWatchTimer || enableStatWatcher else {
            throw element.rejected("enable_watch_timer", "either enable_watch_timer or enable_stat_watcher has to be true")
        }
        if followInodes, posFile == nil {
            throw element.rejected("follow_inodes", "follow_inodes requires pos_file, as in Fluentd")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
