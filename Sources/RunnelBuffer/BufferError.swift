#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the buffer could not do something, with the file and the system error where there is one.
public enum BufferError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A file operation failed (`errno` from the system call).
    case io(operation: String, path: String, errno: Int32)
    /// A chunk's metadata file could not be decoded.
    case corruptMetadata(path: String, reason: String)
    /// A chunk's data file holds bytes that are not `[time, record]` entries (not a torn tail).
    case corruptData(path: String, offset: Int, reason: String)
    /// An output parameter uses placeholders its chunk keys cannot fill.
    case unsupportedPlaceholders(parameter: String, template: String, placeholders: [String])
    /// The buffer is closed.
    case closed

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            let reason = String(cString: strerror(code))
            var hint = ""
            if code == ENOSPC || code == EFBIG || code == EDQUOT { hint = ": free disk space or lower total_limit_size" }
            if code == EACCES || code == EPERM { hint = ": check the owner and permissions of the buffer path" }
            return "\(operation) \(path) failed: \(reason) (errno \(code))\(hint)"
        case .corruptMetadata(let path, let reason): return "chunk metadata \(path) is corrupt: \(reason)"
        case .corruptData(let path, let offset, let reason):
            return "chunk data \(path) is corrupt at byte \(offset): \(reason)"
        case .unsupportedPlaceholders(let parameter, let template, let placeholders):
            return "parameter '\(parameter)' (\"\(template)\") uses \(placeholders.joined(separator: ", ")) "
                + "but the <buffer> chunk keys do not provide it: add the key to <buffer ...> or remove the placeholder"
        case .closed: return "the buffer is closed"
        }
    }

    /// True for a full disk or file size limit: the write may succeed later.
    public var isNoSpace: Bool {
        if case .io(_, _, let code) = self { return code == ENOSPC || code == EFBIG || code == EDQUOT }
        return false
    }
}
