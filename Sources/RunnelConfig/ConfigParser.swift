import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parses configuration text in Fluentd's classic syntax into a tree whose root is named `ROOT`.
///
/// ```
/// let root = try ConfigParser.parse(text: text, file: "/etc/runnel/fluent.conf")
/// for match in root.elements(named: "match") { ... }
/// ```
///
/// `file` names the text in error messages and is where relative `@include` paths start.
/// `environment` answers `#{ENV['NAME']}` in double-quoted strings.
public enum ConfigParser {
    public static func parse(
        text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConfigElement {
        let context = try ConfigParseContext(environment: environment, hostname: hostname())
            .entering(ConfigIncludeResolver.canonicalPath(file), from: nil)
        var parser = ClassicConfigParser(text: text, file: file, context: context)
        return try parser.parseRoot()
    }

    /// Parses Fluentd's YAML configuration form (a `config:` list, `system:`) into the same tree.
    public static func parseYAML(
        text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConfigElement {
        let context = try ConfigParseContext(environment: environment, hostname: hostname())
            .entering(ConfigIncludeResolver.canonicalPath(file), from: nil)
        return try YAMLConfigLoader(file: file, context: context).loadRoot(text: text)
    }

    /// This host's name (`#{Socket.gethostname}`), from gethostname(2): no DNS lookup.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
