import RunnelFormat

/// `@type file` (Fluentd's out_file): where and how flushed chunks are written.
public struct FileOutputConfiguration: Sendable {
    public enum Compression: String, Sendable, CaseIterable {
        case text, gz, gzip
    }

    /// `path`, with `*`, `${tag}` and strftime placeholders.
    public var path: String
    public var addPathSuffix = true
    public var pathSuffix = ".log"
    public var append = false
    public var compress: Compression = .text
    public var format = FormatConfiguration()
    public var inject: InjectConfiguration?
    public var filePermission: UInt16 = 0o644
    public var dirPermission: UInt16 = 0o755

    public init(path: String) {
        self.path = path
        format.kind = .outFile
    }

    var gzip: Bool { compress != .text }
}
