import RunnelConfig

/// Builds the parser a `<parse>` section describes (`@type`, default `none`).
public enum ParserRegistry {
    public static let knownTypes = [
        "none", "json", "regexp", "ltsv", "csv", "tsv", "syslog", "apache2", "apache_error", "nginx",
        "multiline", "cri", "docker", "container",
    ]

    /// The parser for a `<parse>` section, or for a legacy `format` parameter on the plugin's own section.
    public static func makeParser(element: ConfigElement, defaultType: String = "none") throws -> any LineParser {
        let type = element.name == "parse"
            ? (element.pluginType ?? defaultType) : (element.string("format") ?? defaultType)
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
        case "apache", "apache_error":
            return try RegexpParser(element, defaultExpression: RegexpParser.apacheErrorExpression)
        case "nginx":
            return try RegexpParser(element, defaultExpression: RegexpParser.nginxExpression,
                                    defaultTimeFormat: RegexpParser.accessLogTimeFormat)
        case "multiline": return try MultilineParser(element)
        case "cri": return try CRIParser(element)
        case "docker": return try DockerParser(element)
        case "container", "container_auto": return try ContainerParser(element)
        default: throw ParserError.unknownType(type, section: element.title)
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
