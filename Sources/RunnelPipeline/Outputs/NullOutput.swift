import Metrics
import RunnelCore
import ServiceLifecycle
import Synchronization

/// `@type null`: discards events, counting them (Fluentd's out_null).
public final class NullOutput: OutputPlugin, PluginStatusReporting {
    private let discarded = Mutex(0)
    private let counter: Counter

    public init(id: String) {
        counter = Counter(label: "runnel_null_discarded_records_total", dimensions: [("plugin_id", id)])
    }

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        NullOutput(id: context.id)
    }

    public func emit(_ stream: EventStream) async throws {
        discarded.withLock { $0 += stream.count }
        counter.increment(by: stream.count)
    }

    public func run() async throws {
        try? await gracefulShutdown()
    }

    public var discardedCount: Int { discarded.withLock { $0 } }

    public func monitorStatus() -> [(key: String, value: MessagePackValue)] {
        [("emit_records", .uint(UInt64(discardedCount)))]
    }
}
