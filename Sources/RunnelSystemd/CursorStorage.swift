import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The journal cursor in Fluentd's storage_local file: a JSON object whose `journal` key holds
/// the cursor of the last entry emitted, `{"journal":"s=...;i=...;b=...;m=...;t=...;x=..."}`,
/// as fluent-plugin-systemd writes it; other keys in the file are kept.
///
/// Blocking file I/O: call it from a thread of its own (the input's journal thread), never
/// from the cooperative pool.
// @unchecked Sendable: one input owns it and awaits each call (on its journal thread or its
// own task) before the next, so it is never used from two threads at once.
final class CursorStorage: @unchecked Sendable {
    static let key = "journal"

    let configuration: CursorStorageConfiguration
    private var store: [String: Any] = [:]
    /// Whether the cursor changed since the file was last written.
    private(set) var dirty = false

    init(configuration: CursorStorageConfiguration) {
        self.configuration = configuration
    }

    var cursor: String? { store[Self.key] as? String }

    /// Reads the file, if there is one. An empty file is ignored (with the returned warning), as storage_local does.
    func load() throws(SystemdError) -> String? {
        guard let path = configuration.path, FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemdError(.storage, "cursor storage file '\(path)' is not readable")
        }
        if data.isEmpty { return "empty cursor storage file ignored: \(path)" }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SystemdError(.storage, "cursor storage file '\(path)' does not hold a JSON object; fix or remove it")
        }
        store = object
        return nil
    }

    func update(_ cursor: String) {
        guard cursor != self.cursor else { return }
        store[Self.key] = cursor
        dirty = true
    }

    /// Writes the file atomically (a temporary file, fsync, rename) if the cursor changed.
    func save() throws(SystemdError) {
        guard dirty, let path = configuration.path else { return }
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if configuration.prettyPrint { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: store, options: options) else {
            throw SystemdError(.storage, "could not encode the cursor storage")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: configuration.directoryMode])
            } catch {
                throw SystemdError(.storage, "could not create directory '\(directory)' for the cursor storage: \(error)")
            }
        }
        let temporary = path + ".tmp." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(configuration.fileMode))
        guard fd >= 0 else { throw SystemdError(.storage, "could not write '\(temporary)': \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SystemdError(.storage, "could not save the cursor to '\(path)': \(reason)")
        }
        dirty = false
    }
}
