import Foundation
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

    public init(patterns: [String], excludes: [String], globPolicy: GlobPolicy = .backwardCompatible) {
        self.patterns = patterns
        self.excludes = excludes
        self.globPolicy = globPolicy
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

    func paths(_ pattern: String, nowSeconds: Int) -> [String] {
        let path = PathExpander.expandTime(pattern, nowSeconds: nowSeconds)
        return usesGlob(path) ? RubyGlob.expand(path) : [path]
    }

    /// The matching files, sorted.
    public func expand(nowSeconds: Int) -> [String] {
        var found = Set<String>()
        for pattern in patterns {
            for path in paths(pattern, nowSeconds: nowSeconds) where FileStatus.of(path: path) != nil {
                found.insert(path)
            }
        }
        for exclude in excludes {
            found.subtract(paths(exclude, nowSeconds: nowSeconds))
        }
        return found.sorted()
    }

    /// Replaces strftime directives in a path (`/var/log/app.%Y%m%d.log`) with local time.
    static func expandTime(_ pattern: String, nowSeconds: Int) -> String {
        guard pattern.contains("%") else { return pattern }
        var t = time_t(nowSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        guard count > 0 else { return pattern }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
