import Synchronization

/// in_tail's file counters (`MetricsInfo` in Fluentd's in_tail.rb: opened, closed, rotated,
/// throttled), one set per tail input, shared by its watchers; fluent-plugin-prometheus reports
/// them as `fluentd_tail_file_opened` etc.
public final class TailFileCounters: Sendable {
    let openedCount = Atomic<Int>(0)
    let closedCount = Atomic<Int>(0)
    let rotatedCount = Atomic<Int>(0)
    let throttledCount = Atomic<Int>(0)

    public init() {}

    /// Files opened (the first one at a path and each after a rotation).
    public var opened: Int { openedCount.load(ordering: .relaxed) }
    /// Files closed once read to their end (after `rotate_wait`, or when the path went away).
    public var closed: Int { closedCount.load(ordering: .relaxed) }
    /// Rotations seen: a new file at a watched path while the previous one was still read.
    public var rotated: Int { rotatedCount.load(ordering: .relaxed) }
    /// Reads cut short by `read_bytes_limit_per_second`.
    public var throttled: Int { throttledCount.load(ordering: .relaxed) }

    enum Counter { case opened, closed, rotated, throttled }

    func count(_ counter: Counter) {
        switch counter {
        case .opened: openedCount.wrappingAdd(1, ordering: .relaxed)
        case .closed: closedCount.wrappingAdd(1, ordering: .relaxed)
        case .rotated: rotatedCount.wrappingAdd(1, ordering: .relaxed)
        case .throttled: throttledCount.wrappingAdd(1, ordering: .relaxed)
        }
    }
}
