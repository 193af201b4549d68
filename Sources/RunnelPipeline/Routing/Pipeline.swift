import Logging
import RunnelConfig
import RunnelCore

/// Everything a configuration builds: the inputs, the outputs and the routers between them.
public struct Pipeline: Sendable {
    public struct Plugin<P: Sendable>: Sendable {
        /// `@id`, or `<type>.<index>` when none was given.
        public var id: String
        public var type: String
        public var plugin: P
        public var element: ConfigElement
        /// An input's emit counts, with `<system> enable_input_metrics`.
        public var emitMetrics: InputEmitMetrics? = nil
    }

    /// The configuration tree it was built from.
    public var root: ConfigElement
    public var system: SystemConfiguration
    public var inputs: [Plugin<any InputPlugin>]
    /// Top-level outputs of every router (a `copy`'s stores belong to the copy).
    public var outputs: [Plugin<any OutputPlugin>]
    public var filters: [Plugin<any FilterPlugin>]
    public var routers: RouterTable
    /// Parameters no plugin read, for the "parameter 'x' is not used" warnings.
    public var unusedParameters: [(element: ConfigElement, parameter: ConfigParameter)]
    /// A readable description of sources, labels, filters and matches, for `--dry-run`.
    public var graph: String
}
