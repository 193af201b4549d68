import Foundation
import Synchronization

/// The metrics of fluent-plugin-prometheus' monitor inputs (`fluentd_status_*`,
/// `fluentd_output_status_*`, `fluentd_tail_file_*`), kept apart from Runnel's own `runnel_*`
/// metrics and rendered after them on `/metrics` in the Prometheus text format (version 0.0.4).
///
/// As in the Ruby client's registry, the first monitor to declare a name fixes its type and help;
/// a later declaration of the same name reuses it (prometheus_output_monitor's `get_gauge`).
final class FluentdMetricFamilies: Sendable {
    enum Kind: String, Sendable {
        case gauge
        case counter
    }

    struct Family {
        var kind: Kind
        var help: String
        /// Label sets in the order they were first set, with their values.
        var order: [[Label]] = []
        var values: [[Label]: Double] = [:]
    }

    struct Label: Hashable, Sendable {
        var name: String
        var value: String
    }

    private let families = Mutex<(order: [String], byName: [String: Family])>(([], [:]))

    /// Declares a metric if it is new; returns the kind it has.
    @discardableResult
    func declare(_ name: String, kind: Kind, help: String) -> Kind {
        families.withLock { state in
            if let existing = state.byName[name] { return existing.kind }
            state.byName[name] = Family(kind: kind, help: help)
            state.order.append(name)
            return kind
        }
    }

    /// Sets a gauge; for a counter, raises it to `value` (a counter never goes down, as the
    /// Ruby client's `increment(by: new - old)`).
    func set(_ name: String, labels: [(String, String)], to value: Double) {
        let key = labels.map { Label(name: $0.0, value: $0.1) }
        families.withLock { state in
            guard var family = state.byName[name] else { return }
            let old = family.values[key]
            if old == nil { family.order.append(key) }
            family.values[key] = family.kind == .counter ? max(old ?? 0, value) : value
            state.byName[name] = family
        }
    }

    func value(_ name: String, labels: [(String, String)]) -> Double? {
        let key = labels.map { Label(name: $0.0, value: $0.1) }
        return families.withLock { $0.byName[name]?.values[key] }
    }

    /// Every family with at least one sample, in the text exposition format.
    func render() -> [UInt8] {
        var text = ""
        families.withLock { state in
            for name in state.order {
                guard let family = state.byName[name], !family.order.isEmpty else { continue }
                text += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
                for labels in family.order {
                    guard let value = family.values[labels] else { continue }
                    text += name
                    if !labels.isEmpty {
                        text += "{" + labels.map { "\($0.name)=\"\(Self.escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
                    }
                    text += " \(Self.format(value))\n"
                }
            }
        }
        return Array(text.utf8)
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
