/// `<worker N>` and `<worker N-M>` sections, checked as Fluentd's `RootAgent#configure`
/// (lib/fluent/root_agent.rb) checks them, then run in Runnel's one worker process.
extension ConfigElement {
    /// The directives a `<worker>` section may hold.
    static let workerDirectives: Set<String> = ["source", "match", "filter", "label"]

    /// The root with every `<worker>` section replaced by its contents, after the top-level
    /// sections (Fluentd adds them to the root the same way, `conf += e`).
    ///
    /// `workers` is `<system> workers`: each section must name ids between 0 and `workers - 1`,
    /// as in Fluentd. Runnel runs one process, so with `workers` above 1 the sections of every
    /// worker run in it (and top-level sections once, not once per worker).
    public func flatteningWorkerSections(workers: Int) throws -> ConfigElement {
        let sections = elements(named: "worker")
        guard !sections.isEmpty else { return self }
        var errors: [ConfigError] = []
        var rangeIDs: Set<Int> = []
        var contents: [ConfigElement] = []
        for section in sections {
            do {
                try Self.checkWorkerIDs(section, workers: workers, rangeIDs: &rangeIDs)
                for child in section.children where !Self.workerDirectives.contains(child.name) {
                    throw ConfigError(
                        .structure, at: child.location,
                        "<worker> section cannot have <\(child.name)> directive; only <source>, <match>, <filter> and <label> can be in \(section.title)")
                }
                for parameter in section.parameters {
                    throw ConfigError(
                        .structure, at: parameter.location,
                        "\(section.title): parameter '\(parameter.key)' is not allowed here; only <source>, <match>, <filter> and <label> sections can be in a <worker>"
                    )
                }
                contents.append(contentsOf: section.children)
            } catch let error as ConfigError {
                errors.append(error)
            }
        }
        if let error = ConfigErrors.combining(errors) { throw error }
        return ConfigElement(
            name: name, argument: argument, parameters: parameters,
            children: children.filter { $0.name != "worker" } + contents, location: location,
            unsetParameters: unsetParameters)
    }

    /// Fluentd's rules: an id is required; `N-M` needs N <= M and no id in two ranges; every id
    /// must exist. Messages are Fluentd's, with what to do.
    private static func checkWorkerIDs(_ section: ConfigElement, workers: Int, rangeIDs: inout Set<Int>) throws {
        let argument = section.argument
        guard !argument.isEmpty else {
            throw ConfigError(.structure, at: section.location, "Missing worker id on <worker> directive; write <worker 0> or <worker 0-1>")
        }
        let parts = argument.split(separator: "-", omittingEmptySubsequences: false)
        let ids = parts.map { Int($0.trimmingBlanksInWorkerID()) }
        guard parts.count <= 2, let first = ids.first ?? nil, let last = ids.last ?? nil, first >= 0 else {
            throw ConfigError(
                .structure, at: section.location,
                "\(section.title): '\(argument)' is not a worker id; write <worker N> or <worker N-M> with whole numbers")
        }
        let available = "Available worker id is between 0 and \(workers - 1)"
        let hint =
            workers == 1
            ? " (<system> workers is 1); put the sections at the top level, or in <worker 0>"
            : "; set <system> workers higher, or change the id"
        if parts.count == 2 {
            guard first <= last else {
                throw ConfigError(
                    .structure, at: section.location,
                    "greater first_worker_id<\(first)> than last_worker_id<\(last)> specified by <worker> directive is not allowed. Available multi worker assign syntax is <smaller_worker_id>-<greater_worker_id>"
                )
            }
            for id in first...last {
                guard id < workers else {
                    throw ConfigError(
                        .structure, at: section.location,
                        "worker id \(id) specified by <worker> directive is not allowed. \(available)\(hint)")
                }
                guard rangeIDs.insert(id).inserted else {
                    throw ConfigError(
                        .structure, at: section.location,
                        "specified worker_id<\(id)> collisions is detected on <worker> directive; each worker id may be in one <worker N-M> range only")
                }
            }
        } else if first >= workers {
            throw ConfigError(
                .structure, at: section.location,
                "worker id \(first) specified by <worker> directive is not allowed. \(available)\(hint)")
        }
    }
}

extension Substring {
    fileprivate func trimmingBlanksInWorkerID() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
