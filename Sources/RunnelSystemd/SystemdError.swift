#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What went wrong reading the journal or keeping its cursor.
public struct SystemdError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The journal could not be opened (missing directory, no permission); retried.
        case open
        /// An sd-journal call failed while reading.
        case read
        /// The cursor storage file could not be read or written.
        case storage
    }

    public var code: Code
    public var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An sd-journal call that returned `-errno`.
    init(_ code: Code, call: String, result: Int32, subject: String = "") {
        let reason = String(cString: strerror(-result))
        self.init(code, "\(call)\(subject.isEmpty ? "" : " (\(subject))") failed: \(reason)")
    }

    /// Opening fails while the journal directory does not exist yet or is unreadable: worth retrying.
    public var isRetryable: Bool { code == .open }

    public var description: String { message }
}
