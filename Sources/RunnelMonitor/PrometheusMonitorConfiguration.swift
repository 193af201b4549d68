import Foundation
import RunnelConfig

/// The settings of fluent-plugin-prometheus' `prometheus_monitor`, `prometheus_output_monitor`
/// and `prometheus_tail_monitor` inputs.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `interval` | time | 5 | how often the figures are read from the plugins (in_prometheus_*monitor.rb) |
/// | `gauge_all` | bool | true | prometheus_output_monitor only: `false` makes the counts counters instead of gauges |
/// | `<labels>` | section | none | extra labels on every metric; `${hostname}` and `${worker_id}` are expanded, `$.`/`$[` record accessors are rejected |
struct PrometheusMonitorConfiguration: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// `prometheus_monitor`: fluentd_status_* for every plugin with buffer or retry figures.
        case status = "prometheus_monitor"
        /// `prometheus_output_monitor`: fluentd_output_status_* for every output.
        case output = "prometheus_output_monitor"
        /// `prometheus_tail_monitor`: fluentd_tail_file_* for every file a tail input watches.
        case tail = "prometheus_tail_monitor"
    }

    var kind: Kind
    var interval: Double = 5
    var gaugeAll = true
    /// `<labels>`, expanded, in written order.
    var baseLabels: [(String, String)] = []

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.kind == rhs.kind && lhs.interval == rhs.interval && lhs.gaugeAll == rhs.gaugeAll
            && lhs.baseLabels.elementsEqual(rhs.baseLabels) { $0 == $1 }
    }

    init(kind: Kind) { self.kind = kind }

    /// `${hostname}`: this host's name as `Socket.gethostname` gives it (gethostname(2), no DNS).
    static func localHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    init(_ element: ConfigElement, kind: Kind, hostname: String = PrometheusMonitorConfiguration.localHostname()) throws {
        self.kind = kind
        interval = try element.time("interval", default: 5)
        guard interval > 0 else { throw element.rejected("interval", "must be greater than 0") }
        if kind == .output { gaugeAll = try element.bool("gauge_all", default: true) }
        let sections = element.elements(named: "labels")
        guard sections.count <= 1 else {
            throw ConfigError(.structure, at: sections[1].location, "\(element.title): labels section must have at most 1")
        }
        if let labels = sections.first {
            for parameter in labels.parameters {
                let value = labels.rawValue(parameter.key) ?? ""
                if value.hasPrefix("$.") || value.hasPrefix("$[") {
                    throw ConfigError(
                        .invalidValue, at: parameter.location,
                        "\(element.title): record accessor syntax is not available in \(kind.rawValue) (<labels> \(parameter.key))")
                }
                guard parameter.key.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil else {
                    throw ConfigError(.invalidValue, at: parameter.location, "\(element.title): '\(parameter.key)' is not a Prometheus label name")
                }
                let expanded = value.replacingOccurrences(of: "${hostname}", with: hostname)
                    .replacingOccurrences(of: "${worker_id}", with: "0")
                baseLabels.append((parameter.key, expanded))
            }
        }
    }
}
