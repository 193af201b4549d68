#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ruby's `Dir.glob`, which in_tail's `expand_paths` uses: `*`, `?`, `[...]` within one path
/// segment, `{a,b}` alternatives, and `**/` for zero or more directories, so
/// `/var/log/**/*.log` matches `/var/log/a.log` as well as `/var/log/x/y/a.log`. As in Ruby,
/// `**/` does not descend into symbolic links to directories nor into hidden directories, and
/// wildcards do not match a leading dot. Results are sorted (Ruby 3's default).
public enum RubyGlob {
    public static func expand(_ pattern: String) -> [String] {
        var found = Set<String>()
        for alternative in expandBraces(pattern) {
            var segments = alternative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            let absolute = alternative.hasPrefix("/")
            if segments.isEmpty { continue }
            // A trailing `**` (no `/` after it) is an ordinary `*`.
            if segments.last == "**" { segments[segments.count - 1] = "*" }
            walk(base: absolute ? "/" : "", segments[...], into: &found)
        }
        return found.sorted()
    }

    /// True when the text has a glob character (`*`, `?`, `[`) or braces.
    static func hasMagic(_ segment: String) -> Bool {
        segment.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }

    static func walk(base: String, _ segments: ArraySlice<String>, into found: inout Set<String>) {
        guard let segment = segments.first else { return }
        let rest = segments.dropFirst()
        if segment == "**" {
            // Zero directories here, then each real (not linked, not hidden) subdirectory in turn.
            walk(base: base, rest, into: &found)
            for name in entries(base.isEmpty ? "." : base) where !name.hasPrefix(".") {
                let path = join(base, name)
                if isDirectory(path, followingLinks: false) { walk(base: path, segments, into: &found) }
            }
            return
        }
        if hasMagic(segment) {
            for name in entries(base.isEmpty ? "." : base) where fnmatch(segment, name, FNM_PERIOD) == 0 {
                let path = join(base, name)
                if rest.isEmpty {
                    found.insert(path)
                } else if isDirectory(path, followingLinks: true) {
                    walk(base: path, rest, into: &found)
                }
            }
            return
        }
        let literal = unescaped(segment)
        let path = join(base, literal)
        if rest.isEmpty {
            var st = stat()
            if lstat(path, &st) == 0 { found.insert(path) }
        } else if isDirectory(path, followingLinks: true) {
            walk(base: path, rest, into: &found)
        }
    }

    static func unescaped(_ segment: String) -> String {
        guard segment.contains("\\") else { return segment }
        var out = ""
        var escape = false
        for c in segment {
            if escape { out.append(c); escape = false } else if c == "\\" { escape = true } else { out.append(c) }
        }
        return out
    }

    static func isDirectory(_ path: String, followingLinks: Bool) -> Bool {
        var st = stat()
        let result = followingLinks ? stat(path, &st) : lstat(path, &st)
        return result == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, without `.` and `..`.
    static func entries(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`: the alternatives, outermost first.
    static func expandBraces(_ pattern: String) -> [String] {
        let chars = Array(pattern)
        var depth = 0
        var open: Int?
        var commas: [Int] = []
        var i = 0
        while i < chars.count {
            switch chars[i] {
            case "\\": i += 1
            case "{":
                if depth == 0 { open = i; commas = [] }
                depth += 1
            case ",":
                if depth == 1 { commas.append(i) }
            case "}":
                guard depth > 0 else { break }
                depth -= 1
                if depth == 0, let start = open {
                    let prefix = String(chars[..<start])
                    let suffix = String(chars[(i + 1)...])
                    var bounds = [start] + commas + [i]
                    var results: [String] = []
                    for k in 0..<(bounds.count - 1) {
                        let part = String(chars[(bounds[k] + 1)..<bounds[k + 1]])
                        results += expandBraces(prefix + part + suffix)
                    }
                    bounds.removeAll()
                    return results
                }
            default: break
            }
            i += 1
        }
        return [pattern]
    }
}
