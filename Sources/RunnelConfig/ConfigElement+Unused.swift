/// The unused parameters of a whole tree, for the start-up warning ("parameter 'regoin' in
/// <match app.**> is not used"), after every plugin has read its sections.
extension ConfigElement {
    /// Every parameter nobody read, in this section and all below it, in file order, with the
    /// chain of section titles leading to it (`<match app.**> <buffer tag>`).
    public var unusedParametersInTree: [(path: String, parameter: ConfigParameter)] {
        var result: [(path: String, parameter: ConfigParameter)] = []
        collectUnused(path: name == "ROOT" ? "" : title, into: &result)
        return result
    }

    private func collectUnused(path: String, into result: inout [(path: String, parameter: ConfigParameter)]) {
        for parameter in unusedParameters { result.append((path, parameter)) }
        for child in children {
            child.collectUnused(path: path.isEmpty ? child.title : path + " " + child.title, into: &result)
        }
    }
}
