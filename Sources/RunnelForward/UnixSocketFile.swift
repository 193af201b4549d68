#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file of a `@type unix` listener.
enum UnixSocketFile {
    /// Removes a stale Unix socket file left by a previous run (only if it is a socket).
    static func removeStale(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ForwardError(.configuration("'\(path)' exists and is not a socket; choose another path"))
        }
        unlink(path)
    }
}
