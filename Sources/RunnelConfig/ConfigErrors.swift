/// Several configuration errors found in one pass (every plugin of a configuration is checked
/// before Runnel gives up), in the order they were found.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// Nil for no errors, the error itself for one, all of them for more.
    public static func combining(_ errors: [ConfigError]) -> (any Error)? {
        switch errors.count {
        case 0: return nil
        case 1: return errors[0]
        default: return ConfigErrors(errors)
        }
    }

    /// The errors of `error`: itself if it is one `ConfigError`, each of a `ConfigErrors`.
    public static func list(_ error: any Error) -> [ConfigError]? {
        if let single = error as? ConfigError { return [single] }
        if let several = error as? ConfigErrors { return several.errors }
        return nil
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
