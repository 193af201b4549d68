import Foundation
import NIOPosix

/// File reads and other blocking calls, run on NIO's thread pool rather than the cooperative
/// pool or an event loop (credential files are small, but a stuck NFS home must not stall tasks).
enum BlockingIO {
    /// The contents of a file as UTF-8 text; nil if it does not exist.
    static func readText(atPath path: String) async throws -> String? {
        try await NIOThreadPool.singleton.runIfActive {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            do {
                return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            } catch {
                throw RunnelAWSError.fileUnreadable(path: path, reason: (error as NSError).localizedDescription)
            }
        }
    }

    /// `~` and `~/...` expanded with HOME from `environment` (then the process's home).
    static func expandHome(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
