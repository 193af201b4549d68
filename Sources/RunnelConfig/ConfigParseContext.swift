/// What a parse needs besides the text: the environment for `#{ENV[...]}`, the host name for
/// `#{Socket.gethostname}`, and the chain of files being included (to catch include cycles).
struct ConfigParseContext: Sendable {
    /// More nested includes than this is certainly a mistake (and would exhaust the stack).
    static let maximumIncludeDepth = 32

    var environment: [String: String]
    var hostname: String
    /// Canonical paths of the files being parsed, outermost first.
    private(set) var includeChain: [String] = []

    init(environment: [String: String], hostname: String) {
        self.environment = environment
        self.hostname = hostname
    }

    /// The context for parsing `path` (already canonical), included from `location`; an error if
    /// `path` is already being parsed (a cycle) or the chain is too deep.
    func entering(_ path: String, from location: SourceLocation?) throws -> ConfigParseContext {
        if let start = includeChain.firstIndex(of: path) {
            let cycle = (includeChain[start...] + [path]).joined(separator: " -> ")
            throw ConfigError(
                .include, at: location ?? .synthesized,
                "include cycle: \(cycle); remove one of these @include lines")
        }
        if includeChain.count >= Self.maximumIncludeDepth {
            throw ConfigError(
                .include, at: location ?? .synthesized,
                "includes are nested more than \(Self.maximumIncludeDepth) deep (at '\(path)')")
        }
        var next = self
        next.includeChain.append(path)
        return next
    }
}
