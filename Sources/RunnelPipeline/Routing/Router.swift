import Logging
import Metrics
import RunnelCore
import Synchronization

/// The routes of one label (or of the top level): `<filter>` and `<match>` directives in file order.
///
/// Fluentd's rules: an event passes through every filter whose pattern matches its tag, in file
/// order, up to the first `<match>` that matches, which receives it; filters written after that
/// match do not apply. A tag nothing matches is dropped with a warning (once per tag) and counted.
/// The route of each tag is computed once and cached: tags are few, events are many.
public final class Router: EventSink {
    public enum Directive: Sendable {
        case filter(OrTagPattern, any FilterPlugin, name: String)
        case match(OrTagPattern, any OutputPlugin, name: String)
    }

    /// Which filters and which output a tag goes through.
    struct Route: Sendable {
        var filters: [any FilterPlugin]
        var output: (any OutputPlugin)?
    }

    public let label: String?
    let directives: [Directive]
    let logger: Logger
    private let routes = Mutex<[String: Route]>([:])
    private let unmatched: Counter

    public init(label: String?, directives: [Directive], logger: Logger) {
        self.label = label
        self.directives = directives
        self.logger = logger
        self.unmatched = Counter(label: "runnel_router_unmatched_events_total", dimensions: [("label", label ?? "ROOT")])
    }

    public func emit(_ stream: EventStream) async throws {
        let route = self.route(for: stream.tag)
        guard let output = route.output else {
            unmatched.increment(by: stream.count)
            return
        }
        if route.filters.isEmpty {
            try await output.emit(stream)
            return
        }
        var streams = [stream]
        for filter in route.filters {
            var next: [EventStream] = []
            for current in streams { next.append(contentsOf: try filter.filter(current)) }
            streams = next
        }
        for current in streams where !current.isEmpty {
            try await output.emit(current)
        }
    }

    func route(for tag: String) -> Route {
        if let cached = routes.withLock({ $0[tag] }) { return cached }
        var filters: [any FilterPlugin] = []
        var output: (any OutputPlugin)?
        for directive in directives {
            switch directive {
            case .filter(let pattern, let filter, _):
                if pattern.matches(tag) { filters.append(filter) }
            case .match(let pattern, let plugin, _):
                if pattern.matches(tag) { output = plugin }
            }
            if output != nil { break }
        }
        if output == nil {
            logger.warning(
                "no <match> pattern matches this tag; its events are dropped",
                metadata: ["router.tag": "\(tag)", "router.label": "\(label ?? "ROOT")"])
        }
        let route = Route(filters: filters, output: output)
        routes.withLock { $0[tag] = route }
        return route
    }

    /// Every output this router can send to, in file order.
    public var outputs: [any OutputPlugin] {
        directives.compactMap { if case .match(_, let output, _) = $0 { return output } else { return nil } }
    }
}

/// A reference to a label's router, resolved when events arrive, so that plugins can be built
/// before the routers of the labels they send to (`relabel`, `@label` on sources, `@ERROR`).
public final class LabelSink: EventSink {
    public let name: String
    let table: RouterTable

    init(name: String, table: RouterTable) {
        self.name = name
        self.table = table
    }

    public func emit(_ stream: EventStream) async throws {
        guard let router = table.router(named: name) else {
            throw PipelineError.invalidEvents("label \(name) has no router")
        }
        try await router.emit(stream)
    }
}

/// The routers of the top level and every `<label>`, filled once the pipeline is built.
public final class RouterTable: Sendable {
    private let routers = Mutex<[String: Router]>([:])
    public static let rootName = "@ROOT"

    public init() {}

    public func register(_ router: Router, as name: String) {
        routers.withLock { $0[name] = router }
    }

    public func router(named name: String) -> Router? {
        routers.withLock { $0[name] }
    }
}
