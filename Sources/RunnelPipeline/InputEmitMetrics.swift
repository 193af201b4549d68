import RunnelCore
import Synchronization

/// `<system> enable_input_metrics`: what one input has emitted, as Fluentd's monitor_agent shows
/// it for inputs (`emit_records`, and `emit_size`, the bytes of the MessagePack event streams,
/// with `enable_size_metrics`).
public final class InputEmitMetrics: Sendable {
    private let records = Atomic<UInt64>(0)
    private let bytes = Atomic<UInt64>(0)
    public let countsSize: Bool

    public init(countsSize: Bool) {
        self.countsSize = countsSize
    }

    func add(_ stream: EventStream) {
        records.add(UInt64(stream.count), ordering: .relaxed)
        if countsSize { bytes.add(UInt64(stream.entries.count), ordering: .relaxed) }
    }

    /// The monitor_agent fields.
    public var monitorStatus: [(key: String, value: MessagePackValue)] {
        var status: [(key: String, value: MessagePackValue)] = [("emit_records", .uint(records.load(ordering: .relaxed)))]
        if countsSize { status.append(("emit_size", .uint(bytes.load(ordering: .relaxed)))) }
        return status
    }
}

/// An input's router, counting what it emits into `metrics` (counted once the emit returned).
struct CountingSink: EventSink {
    let next: any EventSink
    let metrics: InputEmitMetrics

    func emit(_ stream: EventStream) async throws {
        try await next.emit(stream)
        metrics.add(stream)
    }
}
