#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Expands in_tail's `path` list: strftime placeholders first (local time), then globs; regular
/// files only; minus whatever `exclude_path` matches.
public struct PathExpander: Sendable {
    public var patterns: [String]
    public var excludes: [String]

    public init(patterns: [String], excludes: [String]) {
        self.patterns = patterns
        self.excludes = excludes
    }

    /// The matching files, sorted.
    public func expand(nowSeconds: Int) -> [String] {
        var found = Set<String>()
        for pattern in patterns {
            for path in PathExpander.globPaths(PathExpander.expandTime(pattern, nowSeconds: nowSeconds))
            where FileStatus.of(path: path) != nil {
                found.insert(path)
            }
        }
        for exclude in excludes {
            let pattern = PathExpander.expandTime(exclude, nowSeconds: nowSeconds)
            found = found.filter { fnmatch(pattern, $0, 0) != 0 }
        }
        return found.sorted()
    }

    static func globPaths(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let cString = result.gl_pathv[index] { paths.append(String(cString: cString)) }
        }
        return paths
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
