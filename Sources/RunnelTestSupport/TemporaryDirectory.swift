import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()` or when the
/// last reference goes away. Keep the value alive while its path is in use (a `defer { remove() }`
/// does): Swift may release an object after its last use, not at the end of the scope.
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// - Parameter prefix: starts the directory's name, so a leftover says which tests made it.
    public init(prefix: String = "runnel-test") throws {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { remove() }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The absolute path of `name` in the directory.
    public func path(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` (creating the directories on the way) and returns the file's path.
    @discardableResult
    public func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }

    /// The names in the sub-directory `sub` (the directory itself when empty), sorted; none when it does not exist.
    public func files(in sub: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sub.isEmpty ? path : path(sub))) ?? []).sorted()
    }
}
