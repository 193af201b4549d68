/// Why in_tail could not start or keep a file.
public enum TailError: Error, Sendable, CustomStringConvertible {
    /// The pos_file cannot be opened, read or written.
    case posFile(path: String, errno: Int32, operation: String)
    /// A configuration combination in_tail refuses (Fluentd refuses the same).
    case configuration(String)

    public var description: String {
        switch self {
        case .posFile(let path, let errno, let operation):
            return "pos_file \(path): \(operation) failed (errno \(errno)): check the directory exists and is writable"
        case .configuration(let message):
            return "in_tail: \(message)"
        }
    }
}
