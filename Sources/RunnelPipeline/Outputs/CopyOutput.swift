import Logging
import RunnelConfig
import RunnelCore
import ServiceLifecycle

/// `@type copy`: every event to every `<store>` (Fluentd's out_copy).
///
/// `copy_mode` (no_copy, shallow, deep, marshal) is accepted; events are immutable values
/// here, so every mode behaves as a deep copy. A store written `<store ignore_error>` does not
/// stop the others when it fails; `ignore_if_prev_success` on a store skips it when the store
/// before it succeeded (a fallback chain).
public final class CopyOutput: OutputPlugin {
    struct Store: Sendable {
        var output: any OutputPlugin
        var ignoreError: Bool
        var ignoreIfPreviousSuccess: Bool
    }

    public enum CopyMode: String, CaseIterable, Sendable { case no_copy, shallow, deep, marshal }

    let stores: [Store]
    let logger: Logger

    init(stores: [Store], logger: Logger) {
        self.stores = stores
        self.logger = logger
    }

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        let element = context.element
        _ = try element.enumeration("copy_mode", default: CopyMode.no_copy)
        let sections = element.elements(named: "store")
        guard !sections.isEmpty else {
            throw ConfigError(.structure, at: element.location, "\(element.title): copy needs at least one <store> section")
        }
        let stores = try sections.map { section in
            let words = section.argument.split(separator: " ").map(String.init)
            return Store(
                output: try context.makeOutput(section), ignoreError: words.contains("ignore_error"),
                ignoreIfPreviousSuccess: words.contains("ignore_if_prev_success"))
        }
        return CopyOutput(stores: stores, logger: context.logger)
    }

    public func emit(_ stream: EventStream) async throws {
        var previousSucceeded = false
        for store in stores {
            if store.ignoreIfPreviousSuccess && previousSucceeded { continue }
            do {
                try await store.output.emit(stream)
                previousSucceeded = true
            } catch {
                previousSucceeded = false
                if !store.ignoreError { throw error }
                logger.warning("a copy store refused events; ignored (ignore_error)", metadata: ["error": "\(error)"])
            }
        }
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.output.run() } }
            try await group.waitForAll()
        }
    }

    public func flushNow() async {
        for store in stores { await store.output.flushNow() }
    }
}

extension CopyOutput: ReadinessReporting {
    /// Not ready while any store is not.
    public func notReadyReason(stallTimeout: Double) -> String? {
        let reasons = stores.enumerated().compactMap { index, store in
            (store.output as? any ReadinessReporting)?.notReadyReason(stallTimeout: stallTimeout).map { "store \(index + 1): \($0)" }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
