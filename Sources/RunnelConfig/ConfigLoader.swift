import Foundation

/// Loads a configuration file: YAML syntax for `.yaml`/`.yml` files, Fluentd's classic syntax
/// otherwise. Reads the file synchronously (call it at start-up or from a thread that may block).
public enum ConfigLoader {
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConfigElement {
        let file = try ConfigIncludeResolver.read(
            path, failure: "cannot load the configuration", at: SourceLocation(file: path, line: 1))
        if isYAML(path) {
            return try ConfigParser.parseYAML(text: file.text, file: path, environment: environment)
        }
        return try ConfigParser.parse(text: file.text, file: path, environment: environment)
    }

    /// True for paths Fluentd reads as YAML configuration.
    public static func isYAML(_ path: String) -> Bool {
        let lowercased = path.lowercased()
        return lowercased.hasSuffix(".yaml") || lowercased.hasSuffix(".yml")
    }
}
