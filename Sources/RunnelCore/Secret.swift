/// A value that must never be printed: keys, tokens, shared keys, passwords.
///
/// `description`, `debugDescription` and string interpolation all show a redaction marker,
/// so a secret that slips into a log line or an error message leaks nothing.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself, for the code that has to use it (signing, hashing).
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
    /// No children, so `dump()` and other Mirror-based printers cannot reach the value either.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
