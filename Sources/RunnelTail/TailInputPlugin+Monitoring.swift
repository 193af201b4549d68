import Foundation

extension TailInputPlugin {
    /// The files this input watches with their positions and inodes, as its `pos_file` records
    /// them (what fluent-plugin-prometheus' prometheus_tail_monitor reports). Empty without a
    /// pos_file. Reads the file: call it from a thread pool, not the cooperative pool.
    public func watchedFiles() -> [PosFileEntry] {
        guard let path = configuration.posFile, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return PosFileEntry.parse(text)
    }
}
