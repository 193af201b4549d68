import Foundation
import RunnelCore
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Expands in_tail's `path` list as `expand_paths` does (in_tail.rb): strftime placeholders
/// first (local time), then, for a path that `glob_policy` says is a pattern, Ruby's `Dir.glob`
/// (`RubyGlob`); other paths are taken literally. Regular files only (following symbolic
/// links), minus the `exclude_path` entries, expanded the same way.
public struct PathExpander: Sendable {
    /// in_tail's `glob_policy`.
    public enum GlobPolicy: String, Sendable, CaseIterable {
        /// Only a path containing `*` is a pattern.
        case backwardCompatible = "backward_compatible"
        /// `*`, `?` and `[...]` make a pattern.
        case extended
        /// `{a,b}` too.
        case always
    }

    public var patterns: [String]
    public var excludes: [String]
    public var globPolicy: GlobPolicy
    /// `limit_recently_modified`: files a pattern matches are skipped when not modified for this long.
    public var limitRecentlyModified: Double?
    /// `path_timezone` as a fixed offset; nil: local time.
    public var pathOffsetSeconds: Int?

    public init(
        patterns: [String], excludes: [String], globPolicy: GlobPolicy = .backwardCompatible,
        limitRecentlyModified: Double? = nil, pathOffsetSeconds: Int? = nil
    ) {
        self.patterns = patterns
        self.excludes = excludes
        self.globPolicy = globPolicy
        self.limitRecentlyModified = limitRecentlyModified
        self.pathOffsetSeconds = pathOffsetSeconds
    }

    /// in_tail.rb `use_glob?`.
    func usesGlob(_ path: String) -> Bool {
        let extended = path.contains("*") || path.contains("?") || path.range(of: #"\[.*\]"#, options: .regularExpression) != nil
        switch globPolicy {
        case .backwardCompatible: return path.contains("*")
        case .extended: return extended
        case .always: return extended || path.range(of: #"\{.*,.*\}"#, options: .regularExpression) != nil
        }
    }

    func paths(_ pattern: String, nowSeconds: Int, limitingAge: Bool = false) -> [String] {
        let path = PathExpander.expandTime(pattern, nowSeconds: nowSeconds, offsetSeconds: pathOffsetSeconds)
        guard usesGlob(path) else { return [path] }
        let matches = RubyGlob.expand(path)
        guard limitingAge, let limit = limitRecentlyModified else { return matches }
        // in_tail.rb: `File.mtime(p) < (date - @limit_recently_modified)` is left out (patterns only).
        return matches.filter { path in
            var st = stat()
            guard stat(path, &st) == 0 else { return false }
            #if canImport(Darwin)
                let modified = Double(st.st_mtimespec.tv_sec)
            #else
                let modified = Double(st.st_mtim.tv_sec)
            #endif
            return modified >= Double(nowSeconds) - limit
        }
    }

    /// The matching files, sorted.
    public func expand(nowSeconds: Int) -> [String] {
        var found = Set<String>()
        for pattern in patterns {
            for path in paths(pattern, nowSeconds: nowSeconds, limitingAge: true) where FileStatus.of(path: path) != nil {
                found.insert(path)
            }
        }
        for exclude in excludes {
            found.subtract(paths(exclude, nowSeconds: nowSeconds))
        }
        return found.sorted()
    }

    /// Replaces strftime directives in a path (`/var/log/app.%Y%m%d.log`) with local time, or
    /// the time at a fixed offset (`path_timezone`).
    static func expandTime(_ pattern: String, nowSeconds: Int, offsetSeconds: Int? = nil) -> String {
        guard pattern.contains("%") else { return pattern }
        return TimeFormatter(format: pattern, zone: offsetSeconds.map { .fixed($0) } ?? .local).string(unixSeconds: nowSeconds)
    }
}
