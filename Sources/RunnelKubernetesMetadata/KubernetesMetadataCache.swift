import Synchronization

/// Pod metadata by `namespace/pod`, kept for `cache_ttl` and at most `cache_size` pods
/// (oldest first out), with at most one fetch in flight per pod.
final class KubernetesMetadataCache: Sendable {
    struct Entry: Sendable {
        var pod: KubernetesPodMetadata?
        var namespaceID: String?
        var namespaceLabels: [(String, String)]
        var namespaceAnnotations: [(String, String)] = []
        var expires: Double
    }

    struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var inFlight: Set<String> = []
    }

    let ttl: Double
    let capacity: Int
    let state = Mutex(State())

    init(ttl: Double, capacity: Int) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    func lookup(_ key: String, now: Double) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            return entry
        }
    }

    /// True when the caller should fetch `key` (nothing cached, none in flight).
    func beginFetch(_ key: String, now: Double) -> Bool {
        state.withLock { state in
            if let entry = state.entries[key], entry.expires > now { return false }
            return state.inFlight.insert(key).inserted
        }
    }

    func store(_ key: String, _ entry: Entry?) {
        state.withLock { state in
            state.inFlight.remove(key)
            guard let entry else { return }
            if state.entries.updateValue(entry, forKey: key) == nil { state.order.append(key) }
            while state.order.count > capacity {
                state.entries[state.order.removeFirst()] = nil
            }
        }
    }
}
