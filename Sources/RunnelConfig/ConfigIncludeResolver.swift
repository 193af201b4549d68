import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds and reads the files an `@include` (classic) or `!include` (YAML) names, like Fluentd's
/// `eval_include`: a path relative to the including file's directory, glob patterns expanded and
/// sorted. Fluentd globs every path (`Dir.glob(pattern)` in config/v1_parser.rb), so a file that
/// does not exist includes nothing, as a glob matching nothing does: `@include conf.d/*.conf` works
/// with an empty directory, and the official images' `@include "#{ENV['FLUENTD_SYSTEMD_CONF'] ||
/// 'systemd'}.conf"` is switched off with `disable`.
///
/// Reads files synchronously: configuration is loaded once at start-up (and on SIGHUP), by the
/// caller's choice of thread.
enum ConfigIncludeResolver {
    struct IncludedFile {
        /// The path as written for messages (the including directory joined with the pattern's match).
        var path: String
        /// The resolved path, used to detect cycles.
        var canonicalPath: String
        var text: String
    }

    /// The directory relative includes of `file` are resolved against.
    static func directory(of file: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? FileManager.default.currentDirectoryPath : directory
    }

    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The files `pattern` names, sorted, read.
    static func files(matching pattern: String, relativeTo directory: String, at location: SourceLocation) throws
        -> [IncludedFile]
    {
        let trimmed = pattern.hasPrefix("file://") ? String(pattern.dropFirst("file://".count)) : pattern
        guard !trimmed.isEmpty else {
            throw ConfigError(.include, at: location, "@include needs a file path or glob pattern")
        }
        if let scheme = trimmed.range(of: "://"), !trimmed[..<scheme.lowerBound].contains("/") {
            throw ConfigError(
                .include, at: location,
                "cannot include '\(pattern)': only local files can be included, not URLs")
        }
        let full = trimmed.hasPrefix("/") ? trimmed : (directory as NSString).appendingPathComponent(trimmed)
        let paths: [String]
        if isGlob(trimmed) {
            paths = expandGlob(full).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } else {
            // Present in any form (a directory too, which `read` then explains), or nothing.
            paths = FileManager.default.fileExists(atPath: full) ? [full] : []
        }
        let hint = "; check the path (relative paths start at the including file's directory)"
        return try paths.map { try read($0, failure: "cannot include '\(pattern)'", hint: hint, at: location) }
    }

    /// Reads one file; `failure` starts the message if it cannot be read ("cannot include 'x'").
    static func read(_ path: String, failure: String, hint: String = "", at location: SourceLocation) throws
        -> IncludedFile
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(
                .include, at: location,
                "\(failure): no such file \(path)\(hint)")
        }
        if isDirectory.boolValue {
            throw ConfigError(
                .include, at: location,
                "\(failure): \(path) is a directory; use a glob such as '\(path.hasSuffix("/") ? path : path + "/")*.conf'")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(.include, at: location, "\(failure): \(path) cannot be read (check its permissions)")
        }
        return IncludedFile(path: path, canonicalPath: canonicalPath(path), text: String(decoding: data, as: UTF8.self))
    }

    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains { "*?[{".contains($0) }
    }

    private static func expandGlob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        #if canImport(Darwin)
            let flags = GLOB_BRACE | GLOB_TILDE
        #else
            let flags = Int32(GLOB_BRACE | GLOB_TILDE)
        #endif
        guard glob(pattern, flags, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let pointer = result.gl_pathv[index] { paths.append(String(cString: pointer)) }
        }
        return paths
    }
}
