import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// in_tail's `pos_file`, in Fluentd's own format (see `PosFileEntry`), updated the way Fluentd
/// updates it: a position change rewrites the 16 hex digits of its line in place; a new path
/// appends a line; `compact()` rewrites the file without unwatched or duplicate lines.
/// Blocking I/O: call from NIO's thread pool, never the cooperative pool.
public final class PosFile: Sendable {
    struct Slot {
        var entry: PosFileEntry
        /// Byte offset of the line in the file.
        var lineOffset: Int
    }

    struct State {
        var descriptor: Int32
        var slots: [String: Slot] = [:]
        var end: Int = 0
    }

    public let path: String
    let state: Mutex<State>

    /// Opens (creating, with its directory, as Fluentd's in_tail does) the pos_file, loads its
    /// entries and compacts it.
    /// The mode new pos files (and their rewrites) get: `<system> file_permission`.
    public let permission: UInt16

    public init(path: String, permission: UInt16 = 0o644) throws {
        self.path = path
        self.permission = permission
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(permission))
        guard fd >= 0 else { throw TailError.posFile(path: path, errno: errno, operation: "open") }
        let text = PosFile.readAll(fd)
        close(fd)
        state = Mutex(State(descriptor: -1))
        try rewrite(PosFileEntry.parse(text))
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// The watched entries, in file order.
    public var entries: [PosFileEntry] {
        state.withLock { $0.slots.values.sorted { $0.lineOffset < $1.lineOffset }.map(\.entry) }
    }

    public func entry(for path: String) -> PosFileEntry? {
        state.withLock { state in
            guard let entry = state.slots[path]?.entry, !entry.isUnwatched else { return nil }
            return entry
        }
    }

    /// Records the position and inode of a path.
    public func update(path: String, position: UInt64, inode: UInt64) throws {
        try state.withLock { state in
            let entry = PosFileEntry(path: path, position: position, inode: inode)
            if var slot = state.slots[path] {
                guard slot.entry != entry else { return }
                slot.entry = entry
                state.slots[path] = slot
                let numbers = Array("\(PosFileEntry.hex16(position))\t\(PosFileEntry.hex16(inode))".utf8)
                let at = slot.lineOffset + path.utf8.count + 1
                try PosFile.write(state.descriptor, numbers, at: at, path: self.path)
            } else {
                let line = Array(entry.line.utf8)
                try PosFile.write(state.descriptor, line, at: state.end, path: self.path)
                state.slots[path] = Slot(entry: entry, lineOffset: state.end)
                state.end += line.count
            }
        }
    }

    /// Marks a path unwatched, as Fluentd does when it stops tailing it.
    public func markUnwatched(path: String) throws {
        guard let entry = state.withLock({ $0.slots[path]?.entry }) else { return }
        try update(path: path, position: PosFileEntry.unwatchedPosition, inode: entry.inode)
    }

    /// Rewrites the file with only watched entries (`pos_file_compaction_interval`).
    public func compact() throws {
        try rewrite(entries.filter { !$0.isUnwatched })
    }

    func rewrite(_ entries: [PosFileEntry]) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(permission))
        guard fd >= 0 else { throw TailError.posFile(path: temporary, errno: errno, operation: "create") }
        var slots: [String: Slot] = [:]
        var bytes: [UInt8] = []
        for entry in entries {
            slots[entry.path] = Slot(entry: entry, lineOffset: bytes.count)
            bytes.append(contentsOf: entry.line.utf8)
        }
        do {
            try PosFile.write(fd, bytes, at: 0, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            close(fd)
            throw TailError.posFile(path: path, errno: code, operation: "rename")
        }
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state = State(descriptor: fd, slots: slots, end: bytes.count)
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(offset + written))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TailError.posFile(path: path, errno: errno, operation: "write")
            }
            written += n
        }
    }

    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
