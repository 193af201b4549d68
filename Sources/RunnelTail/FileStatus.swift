#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which file a path or descriptor is: inode and device, the identity rotation is detected by.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public var inode: UInt64
    public var device: UInt64

    public init(inode: UInt64, device: UInt64 = 0) {
        self.inode = inode
        self.device = device
    }

    public var description: String { "inode \(inode)" }
}

/// The result of `stat`/`fstat` that the tail logic needs.
public struct FileStatus: Equatable, Sendable {
    public var identity: FileIdentity
    public var size: UInt64

    public init(identity: FileIdentity, size: UInt64) {
        self.identity = identity
        self.size = size
    }

    /// `stat` of a regular file at `path` (following symlinks, as Kubernetes' /var/log/containers are); nil if missing.
    public static func of(path: String) -> FileStatus? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStatus(st)
    }

    public static func of(descriptor: Int32) -> FileStatus? {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { return nil }
        return FileStatus(st)
    }

    init(_ st: stat) {
        identity = FileIdentity(inode: UInt64(st.st_ino), device: UInt64(st.st_dev))
        size = UInt64(st.st_size)
    }
}
