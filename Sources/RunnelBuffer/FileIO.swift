#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Blocking POSIX file operations for the buffer and the file outputs. Called only on NIO's thread pool (never on the
/// cooperative pool or an event loop); every failure is a `BufferError.io` naming the file.
public enum FileIO {
    public static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> BufferError {
        .io(operation: operation, path: path, errno: code)
    }

    /// Writes all of `bytes` (retrying short writes and EINTR).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw error("write", path)
                }
                done += n
            }
        }
    }

    /// The whole file at `path`.
    static func readAll(_ path: String) throws -> [UInt8] {
        try read(path, offset: 0, maxBytes: nil)
    }

    /// At most `maxBytes` (nil: all) of the file at `path` from `offset`; fewer at its end.
    static func read(_ path: String, offset: Int, maxBytes: Int?) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error("open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error("stat", path) }
        let available = max(0, Int(info.st_size) - offset)
        // Read straight into the array's storage: no zero fill of space pread overwrites at once.
        let bytes = try [UInt8](unsafeUninitializedCapacity: min(available, maxBytes ?? available)) { buffer, count in
            while count < buffer.count {
                let n = pread(fd, buffer.baseAddress! + count, buffer.count - count, off_t(offset + count))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw error("read", path)
                }
                if n == 0 { break }
                count += n
            }
        }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file, optionally fsynced, renamed over `path`.
    public static func atomicWrite(_ bytes: [UInt8], to path: String, permission: UInt16, sync: Bool) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(permission))
        guard fd >= 0 else { throw error("create", temporary) }
        do {
            try writeAll(fd, bytes, path: temporary)
            if sync, fdatasync(fd) != 0 { throw error("fdatasync", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw error("rename", temporary, code)
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error("fsync", path) }
    }

    /// Creates `path` and its parents with `permission`.
    public static func makeDirectories(_ path: String, permission: UInt16) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode_t(permission)) != 0, errno != EEXIST { throw error("mkdir", current) }
        }
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}
