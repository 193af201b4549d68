import Foundation

/// `~/.aws/credentials` and `~/.aws/config`, parsed into profiles.
///
/// The credentials file names sections `[name]`; the config file `[profile name]` (and
/// `[default]`). For one profile the credentials file wins over the config file, key by key,
/// as in the AWS SDKs and CLI.
public struct SharedConfigFiles: Sendable {
    public var credentialsPath: String
    public var configPath: String
    /// Profiles of the credentials file.
    public var credentialsProfiles: [String: [String: String]] = [:]
    /// Profiles of the config file (without the `profile ` prefix).
    public var configProfiles: [String: [String: String]] = [:]

    /// The paths used: `credentials_path` parameter, else `AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/credentials`; `AWS_CONFIG_FILE`, else `~/.aws/config`.
    public static func paths(credentialsPath: String?, environment: [String: String]) -> (credentials: String, config: String) {
        let credentials = credentialsPath ?? environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials"
        let config = environment["AWS_CONFIG_FILE"] ?? "~/.aws/config"
        return (
            BlockingIO.expandHome(credentials, environment: environment),
            BlockingIO.expandHome(config, environment: environment)
        )
    }

    /// Reads both files (a missing file is an empty one).
    public static func load(credentialsPath: String?, environment: [String: String]) async throws -> SharedConfigFiles {
        let (credentials, config) = paths(credentialsPath: credentialsPath, environment: environment)
        var files = SharedConfigFiles(credentialsPath: credentials, configPath: config)
        if let text = try await BlockingIO.readText(atPath: credentials) {
            files.credentialsProfiles = parse(text, configFile: false)
        }
        if let text = try await BlockingIO.readText(atPath: config) {
            files.configProfiles = parse(text, configFile: true)
        }
        return files
    }

    public init(credentialsPath: String, configPath: String) {
        self.credentialsPath = credentialsPath
        self.configPath = configPath
    }

    /// The keys of one profile, credentials file over config file; nil if neither has it.
    public func profile(_ name: String) -> [String: String]? {
        let fromConfig = configProfiles[name]
        let fromCredentials = credentialsProfiles[name]
        if fromConfig == nil && fromCredentials == nil { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { $1 }
    }

    /// The INI dialect of the AWS files: `[section]`, `key = value`, `#` and `;` comments,
    /// indented lines continuing a value (nested `s3 =` blocks are kept as text, unused here).
    static func parse(_ text: String, configFile: Bool) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        var lastKey: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard let end = trimmed.firstIndex(of: "]") else { current = nil; continue }
                var name = trimmed[trimmed.index(after: trimmed.startIndex)..<end].trimmingCharacters(in: .whitespaces)
                if configFile {
                    if name.hasPrefix("profile ") {
                        name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        current = nil  // [sso-session x], [services x]: not profiles
                        continue
                    }
                }
                current = name
                lastKey = nil
                if profiles[name] == nil { profiles[name] = [:] }
                continue
            }
            guard let profile = current else { continue }
            if line.first?.isWhitespace == true, let key = lastKey {
                profiles[profile]?[key, default: ""] += "\n" + trimmed
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            // Inline comments need whitespace before the marker, so `#` may appear in secrets.
            for marker in [" #", "\t#", " ;", "\t;"] {
                if let range = value.range(of: marker) { value = String(value[..<range.lowerBound]) }
            }
            profiles[profile]?[key] = value.trimmingCharacters(in: .whitespaces)
            lastKey = key
        }
        return profiles
    }
}
