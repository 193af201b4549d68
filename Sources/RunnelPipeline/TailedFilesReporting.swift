/// An input that follows files (in_tail), reporting them to the monitoring inputs
/// (fluent-plugin-prometheus' prometheus_tail_monitor) without their depending on it.
public protocol TailedFilesReporting: Sendable {
    /// The files it watches, with their positions and inodes as its pos_file records them;
    /// empty without a pos_file.
    func tailedFiles() async -> [TailedFile]
    /// Its file counters (in_tail's `MetricsInfo`).
    var tailedFileCounts: TailedFileCounts { get }
}

/// One watched file: what prometheus_tail_monitor reports as `fluentd_tail_file_position` and
/// `fluentd_tail_file_inode`.
public struct TailedFile: Sendable, Equatable {
    public var path: String
    public var position: UInt64
    public var inode: UInt64

    public init(path: String, position: UInt64, inode: UInt64) {
        self.path = path
        self.position = position
        self.inode = inode
    }
}

/// in_tail's counters: files opened, closed, rotated, and reads throttled
/// (`fluentd_tail_file_opened` etc.).
public struct TailedFileCounts: Sendable, Equatable {
    public var opened: Int
    public var closed: Int
    public var rotated: Int
    public var throttled: Int

    public init(opened: Int, closed: Int, rotated: Int, throttled: Int) {
        self.opened = opened
        self.closed = closed
        self.rotated = rotated
        self.throttled = throttled
    }
}
