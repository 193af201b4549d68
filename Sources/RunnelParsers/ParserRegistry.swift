import RunnelConfig
import RunnelCore

/// Builds the parser a `<parse>` section describes (`@type`, default `none`).
public enum ParserRegistry {
    public static let knownTypes = [
        "none", "json", "regexp", "ltsv", "csv", "tsv", "syslog", "apache", "apache2", "apache_error", "nginx",
        "multiline", "cri", "docker", "container", "kubernetes", "multiline_kubernetes", "multi_format", "avro",
    ]

    /// The parser for a `<parse>` section, or for a legacy `format` parameter on the plugin's own section.
    /// Errors are `ConfigError`s naming the section's file and line.
    public static func makeParser(element: ConfigElement, defaultType: String = "none") throws -> any LineParser {
        let type =
            element.name == "parse"
            ? (element.pluginType ?? defaultType) : (element.string("format") ?? defaultType)
        do {
            return try build(type, element)
        } catch let error as ParserError {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): \(error)")
        } catch let error as RubyRegexError {
            throw ConfigError(.invalidValue, at: element.location, "\(element.title): \(error)")
        }
    }

    static func build(_ type: String, _ element: ConfigElement) throws -> any LineParser {
        if type.hasPrefix("/") {
            return try RegexpParser(expression: type, common: ParserCommon(element))
        }
        switch type {
        case "none": return NoneParser(element)
        case "json": return try JSONParser(element)
        case "regexp": return try RegexpParser(element)
        case "ltsv": return try DelimitedParser(kind: .ltsv, element)
        case "csv": return try DelimitedParser(kind: .csv, element)
        case "tsv": return try DelimitedParser(kind: .tsv, element)
        case "syslog": return try SyslogParser(element)
        case "apache2": return try Apache2Parser(element)
        case "apache":
            return try RegexpParser(
                element, defaultExpression: RegexpParser.apacheExpression,
                defaultTimeFormat: RegexpParser.accessLogTimeFormat)
        case "apache_error":
            return try RegexpParser(element, defaultExpression: RegexpParser.apacheErrorExpression)
        case "kubernetes":
            // parser_kubernetes.rb sets both in `configure`, over whatever the section says.
            return try RegexpParser(
                element, forcedExpression: RegexpParser.kubernetesExpression,
                forcedTimeFormat: RegexpParser.kubernetesTimeFormat)
        case "multiline_kubernetes":
            return try MultilineParser(
                element, forcedFirstline: RegexpParser.kubernetesFirstline,
                forcedFormats: [RegexpParser.multilineKubernetesFormat],
                forcedTimeFormat: RegexpParser.kubernetesTimeFormat)
        case "nginx":
            return try RegexpParser(
                element, defaultExpression: RegexpParser.nginxExpression,
                defaultTimeFormat: RegexpParser.accessLogTimeFormat)
        case "multiline": return try MultilineParser(element)
        case "multi_format": return try MultiFormatParser(element)
        case "avro": return try AvroParser(element)
        case "cri": return try CRIParser(element)
        case "docker": return try DockerParser(element)
        case "container", "container_auto": return try ContainerParser(element)
        default:
            let location = element.parameter("@type")?.location ?? element.parameter("format")?.location ?? element.location
            throw ConfigError(
                .unknownPluginType, at: location,
                "\(element.title): unknown parser type '\(type)'; Runnel has: \(knownTypes.joined(separator: ", "))")
        }
    }

    /// The parser of a plugin section: its `<parse>` child, else its legacy `format`, else `defaultType`.
    public static func makeParser(pluginSection: ConfigElement, defaultType: String = "none") throws -> any LineParser {
        if let parse = pluginSection.element(named: "parse") {
            return try makeParser(element: parse, defaultType: defaultType)
        }
        return try makeParser(element: pluginSection, defaultType: defaultType)
    }
}
