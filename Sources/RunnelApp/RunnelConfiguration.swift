import Logging
import RunnelConfig
import RunnelPipeline

/// Loading a configuration file and reporting what in it nobody used.
public enum RunnelConfiguration {
    /// The default configuration file when `-c` is not given.
    public static let defaultPath = "conf.d/runnel.conf"

    public static func load(path: String, environment: [String: String] = ProcessInfoEnvironment.current) throws -> ConfigElement {
        try ConfigLoader.load(path: path, environment: environment)
    }

    /// Warns about every parameter no plugin read (Fluentd's behaviour); under `--strict` they are
    /// errors, all of them reported.
    public static func reportUnused(_ pipeline: Pipeline, strict: Bool, logger: Logger) throws {
        if strict {
            let errors = pipeline.unusedParameters.map { element, parameter in
                ConfigError(.unknownParameter, at: parameter.location, "\(element.title): parameter '\(parameter.key)' is not used by Runnel (--strict)")
            }
            if let error = ConfigErrors.combining(errors) { throw error }
            return
        }
        for (element, parameter) in pipeline.unusedParameters {
            logger.warning(
                "parameter is not used",
                metadata: ["config.parameter": "\(parameter.key)", "config.section": "\(element.title)", "config.location": "\(parameter.location)"])
        }
    }
}

/// The process environment as a dictionary, read once where configuration is loaded.
public enum ProcessInfoEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

#if canImport(Glibc)
    import Glibc
#endif
