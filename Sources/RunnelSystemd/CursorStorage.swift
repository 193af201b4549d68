import Foundation
import RunnelCore

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
    /// The file's object, keys in the order read.
    private var store: [MessagePackPair] = []
    /// Whether the cursor changed since the file was last written.
    private(set) var dirty = false

    init(configuration: CursorStorageConfiguration) {
        self.configuration = configuration
    }

    var cursor: String? { MessagePackValue.map(store)[Self.key]?.stringValue }

    /// Reads the file, if there is one. An empty file is ignored (with the returned warning), as storage_local does.
    func load() throws(SystemdError) -> String? {
        guard let path = configuration.path, FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemdError(.storage, "cursor storage file '\(path)' is not readable")
        }
        if data.isEmpty { return "empty cursor storage file ignored: \(path)" }
        let object: MessagePackValue
        do { object = try JSONReader.decode(Array(data)) } catch {
            throw SystemdError(.storage, "cursor storage file '\(path)' does not hold a JSON object (\(error)); fix or remove it")
        }
        guard case .map(let pairs) = object else {
            throw SystemdError(.storage, "cursor storage file '\(path)' does not hold a JSON object; fix or remove it")
        }
        store = pairs
        return nil
    }

    func update(_ cursor: String) {
        guard cursor != self.cursor else { return }
        if let at = store.firstIndex(where: { $0.key.stringValue == Self.key }) {
            store[at].value = .string(cursor)
        } else {
            store.append(MessagePackPair(key: .string(Self.key), value: .string(cursor)))
        }
        dirty = true
    }

    /// Writes the file atomically (a temporary file, fsync, rename) if the cursor changed.
    func save() throws(SystemdError) {
        guard dirty, let path = configuration.path else { return }
        // Keys sorted, as the file has always been written; `pretty_print` as storage_local's
        // `JSON.pretty_generate`.
        let sorted = Self.sortingKeys(.map(store))
        var data: [UInt8] = []
        if configuration.prettyPrint { JSONWriter.appendPretty(sorted, to: &data) } else { JSONWriter.append(sorted, to: &data) }
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

    static func sortingKeys(_ value: MessagePackValue) -> MessagePackValue {
        switch value {
        case .map(let pairs):
            return .map(
                pairs.map { MessagePackPair(key: $0.key, value: sortingKeys($0.value)) }
                    .sorted { ($0.key.stringValue ?? "") < ($1.key.stringValue ?? "") })
        case .array(let elements): return .array(elements.map(sortingKeys))
        default: return value
        }
    }
}
