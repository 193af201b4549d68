/// Fluentd's classic ("v1") configuration syntax into a `ConfigElement` tree: sections in angle
/// brackets, `key value` lines, comments, quoted strings, JSON values and `@include`. It follows
/// Fluentd's `V1Parser` rule for rule, with messages that say what was expected and where.
struct ClassicConfigParser {
    /// Sections nested deeper than this are a mistake (and would exhaust the stack).
    static let maximumNesting = 64
    static let reservedParameters: Set<String> = ["@type", "@id", "@label", "@log_level"]
    /// Sections where an unknown `@` parameter is an error (elsewhere Fluentd only warns).
    static let pluginSections: Set<String> = ["match", "source", "filter", "system"]

    /// A section being read: the opening tag, for messages and the closing-tag check.
    struct OpenSection {
        var name: String
        var argument: String
        var location: SourceLocation
        var depth: Int

        var title: String { argument.isEmpty ? "<\(name)>" : "<\(name) \(argument)>" }
    }

    /// The parameters and child sections of the section being read.
    struct Body {
        var parameters: [ConfigParameter] = []
        var children: [ConfigElement] = []
        var unset: [ConfigUnsetParameter] = []

        /// A repeated key keeps its first place and takes the last value (Fluentd's attribute hash).
        mutating func set(_ parameter: ConfigParameter) {
            unset.removeAll { $0.key == parameter.key }
            if let index = parameters.firstIndex(where: { $0.key == parameter.key }) {
                parameters[index].value = parameter.value
                parameters[index].location = parameter.location
            } else {
                parameters.append(parameter)
            }
        }

        /// `key "#{use_default}"` (or `use_nil`): the key is left out, an earlier value of it too.
        mutating func leaveOut(_ parameter: ConfigUnsetParameter) {
            parameters.removeAll { $0.key == parameter.key }
            unset.removeAll { $0.key == parameter.key }
            unset.append(parameter)
        }
    }

    private var scanner: ConfigScanner
    private let context: ConfigParseContext

    init(text: String, file: String, context: ConfigParseContext) {
        self.scanner = ConfigScanner(text: text, file: file)
        self.context = context
    }

    /// The whole text as the ROOT element.
    mutating func parseRoot() throws -> ConfigElement {
        var body = Body()
        try parseBody(into: &body, section: nil)
        return ConfigElement(
            name: "ROOT", parameters: body.parameters, children: body.children,
            location: SourceLocation(file: scanner.file, line: 1), unsetParameters: body.unset)
    }

    /// Reads lines into `body` until the closing tag of `section` (or the end of the text at the top).
    mutating func parseBody(into body: inout Body, section: OpenSection?) throws {
        while true {
            scanner.skipSpacing()
            if scanner.isAtEnd {
                guard let section else { return }
                throw scanner.error(
                    "expected '</\(section.name)>' to close \(section.title) opened at \(section.location), found end of file")
            }
            if scanner.looksAt("</") {
                try closeTag(of: section)
                return
            }
            if scanner.peek() == "<" {
                body.children.append(try childSection(depth: (section?.depth ?? 0) + 1))
                continue
            }
            try parameterLine(into: &body, section: section)
        }
    }

    private mutating func closeTag(of section: OpenSection?) throws {
        let tagStart = scanner.position
        scanner.advance(2)
        let name = scanName()
        scanner.skipBlanks()
        guard scanner.skip(">") else {
            throw scanner.error("expected '>' to end the closing tag '</\(name)', found \(scanner.excerpt())")
        }
        guard scanner.skipLineEnd() else {
            scanner.skipBlanks()
            throw scanner.error("expected end of line after '</\(name)>', found \(scanner.excerpt())")
        }
        guard let section else {
            throw scanner.error("found '</\(name)>' but no section is open here", at: tagStart)
        }
        guard name == section.name else {
            throw scanner.error(
                "expected '</\(section.name)>' to close \(section.title) opened at \(section.location), found '</\(name)>'",
                at: tagStart)
        }
    }

    private mutating func childSection(depth: Int) throws -> ConfigElement {
        let location = scanner.location()
        scanner.advance()
        let name = scanName()
        guard !name.isEmpty else {
            throw scanner.error(
                "expected a section name after '<' (such as <source>, <match PATTERN>, <buffer>), found \(scanner.excerpt())")
        }
        guard depth <= Self.maximumNesting else {
            throw ConfigError(.syntax, at: location, "sections are nested more than \(Self.maximumNesting) deep")
        }
        scanner.skipBlanks()
        var argument = String.UnicodeScalarView()
        while let scalar = scanner.peek(), scalar != ">", !ConfigScanner.isNewline(scalar) {
            argument.append(scalar)
            scanner.advance()
        }
        let trimmedArgument = String(argument).trimmingBlanks()
        guard scanner.skip(">") else {
            let tag = trimmedArgument.isEmpty ? "<\(name)" : "<\(name) \(trimmedArgument)"
            throw scanner.error("expected '>' to end the tag '\(tag)' before the end of the line")
        }
        guard scanner.skipLineEnd() else {
            scanner.skipBlanks()
            throw scanner.error("expected end of line after the tag <\(name)>, found \(scanner.excerpt())")
        }
        let open = OpenSection(name: name, argument: trimmedArgument, location: location, depth: depth)
        var body = Body()
        try parseBody(into: &body, section: open)
        return ConfigElement(
            name: name, argument: trimmedArgument, parameters: body.parameters, children: body.children,
            location: location, unsetParameters: body.unset)
    }

    private mutating func parameterLine(into body: inout Body, section: OpenSection?) throws {
        let location = scanner.location()
        let key = try ConfigLiteralScanner.word(&scanner, context: context, what: "a parameter name")
        let hadBlank = ConfigScanner.isBlank(scanner.peek())
        scanner.skipBlanks()
        if key == "@include" || (section == nil && key == "include" && hadBlank) {
            try include(into: &body, section: section, at: location)
            return
        }
        if scanner.isAtEnd || ConfigScanner.isNewline(scanner.peek()) {
            // A key alone means an empty value (Fluentd's "tag_mapped" style flags).
            body.set(ConfigParameter(key: key, value: "", location: location))
            _ = scanner.skipLineEnd()
            return
        }
        if key.hasPrefix("@"), !Self.reservedParameters.contains(key),
            section == nil || Self.pluginSections.contains(section!.name)
        {
            throw ConfigError(
                .syntax, at: location,
                "'\(key)': the '@' prefix is reserved for @type, @id, @label, @log_level and @include; remove the '@'")
        }
        let value = try ConfigLiteralScanner.value(&scanner, context: context)
        guard scanner.skipLineEnd() else {
            scanner.skipBlanks()
            throw scanner.error("expected end of line after the value of '\(key)', found \(scanner.excerpt())")
        }
        switch value {
        case .text(let text): body.set(ConfigParameter(key: key, value: text, location: location))
        case .useDefault: body.leaveOut(ConfigUnsetParameter(key: key, location: location, reason: .useDefault))
        case .useNil: body.leaveOut(ConfigUnsetParameter(key: key, location: location, reason: .useNil))
        }
    }

    /// `@include PATH`: the files' parameters and sections join the current section.
    private mutating func include(into body: inout Body, section: OpenSection?, at location: SourceLocation) throws {
        let pattern = try ConfigLiteralScanner.word(&scanner, context: context, what: "an @include path")
        guard scanner.skipLineEnd() else {
            scanner.skipBlanks()
            throw scanner.error("expected end of line after '@include \(pattern)', found \(scanner.excerpt())")
        }
        let directory = ConfigIncludeResolver.directory(of: scanner.file)
        for file in try ConfigIncludeResolver.files(matching: pattern, relativeTo: directory, at: location) {
            let included = try context.entering(file.canonicalPath, from: location)
            var parser = ClassicConfigParser(text: file.text, file: file.path, context: included)
            try parser.parseBody(into: &body, section: nil)
        }
    }

    private mutating func scanName() -> String {
        var name = String.UnicodeScalarView()
        while let scalar = scanner.peek(),
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
        {
            name.append(scalar)
            scanner.advance()
        }
        return String(name)
    }
}

extension String {
    func trimmingBlanks() -> String {
        var scalars = Substring(self).unicodeScalars
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        return String(scalars)
    }
}
