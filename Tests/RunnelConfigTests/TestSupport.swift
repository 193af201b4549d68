import Foundation
import RunnelTestSupport
import Testing

@testable import RunnelConfig

/// Parses classic syntax with a fixed environment (tests never read the real one).
func parseClassic(_ text: String, file: String = "test.conf", environment: [String: String] = [:]) throws -> ConfigElement {
    try ConfigParser.parse(text: text, file: file, environment: environment)
}

func parseYAML(_ text: String, file: String = "test.yaml", environment: [String: String] = [:]) throws -> ConfigElement {
    try ConfigParser.parseYAML(text: text, file: file, environment: environment)
}

/// The error a parse throws, or nil; fails the test if it throws something else.
func configError<T>(_ body: () throws -> T) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)")
        return nil
    }
}
