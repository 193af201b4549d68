import Foundation
import RunnelPipeline

extension TailInputPlugin: TailedFilesReporting {
    /// The files this input watches with their positions and inodes, as its `pos_file` records
    /// them (what fluent-plugin-prometheus' prometheus_tail_monitor reports). Empty without a
    /// pos_file. Reads the file: call it from a thread pool, not the cooperative pool.
    public func watchedFiles() -> [PosFileEntry] {
        guard let path = configuration.posFile, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return PosFileEntry.parse(text)
    }

    /// `watchedFiles()`, read on the input's thread pool.
    public func tailedFiles() async -> [TailedFile] {
        let entries = (try? await threadPool.runIfActive { self.watchedFiles() }) ?? []
        return entries.map { TailedFile(path: $0.path, position: $0.position, inode: $0.inode) }
    }

    public var tailedFileCounts: TailedFileCounts {
        TailedFileCounts(
            opened: fileCounters.opened, closed: fileCounters.closed, rotated: fileCounters.rotated,
            throttled: fileCounters.throttled)
    }
}
