/// A configuration that cannot run, with the place it was written and what to do about it.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text is not valid syntax.
        case syntax
        /// A parameter's value does not have the expected type or range.
        case invalidValue
        /// A required parameter is missing.
        case missingParameter
        /// `@type` names a plugin Runnel does not have.
        case unknownPluginType
        /// A parameter Runnel does not know (an error only under `--strict`).
        case unknownParameter
        /// `@include` refers to a file that cannot be read, or includes itself.
        case include
        /// Anything else about the structure (a `<match>` without `@type`, a label defined twice, ...).
        case structure
    }

    public var kind: Kind
    public var location: SourceLocation
    public var message: String

    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    public var description: String {
        // A syntax error always names its column, the first one too (file:line:column for editors).
        if kind == .syntax, location.column == 1 { return "\(location.file):\(location.line):1: \(message)" }
        return "\(location): \(message)"
    }
}
