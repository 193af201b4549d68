import Logging
import RunnelConfig
import RunnelCore
import ServiceLifecycle

/// `<source> @type sample` (and its old name `dummy`): Fluentd v1.16's in_sample. Emits the
/// `sample` records in turn, `rate` emits a second of `size` events each, for trying a pipeline
/// without a real source.
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `tag` | string | required | same |
/// | `size` | integer | 1 | same: events per emit |
/// | `rate` | integer | 1 | same: emits per second, spread over ten slots of the second |
/// | `auto_increment_key` | string | none | same: a field counting the events from 0 |
/// | `sample` (or `dummy`) | JSON object or array of objects | `[{"message":"sample"}]` | same |
/// | `suspend` | bool | false | same: deprecated and ignored (so is `<storage>`) |
///
/// As in Fluentd, an emit the destination refuses (a full buffer) is dropped, with a warning.
public final class SampleInput: InputPlugin, Sendable {
    public struct Configuration: Sendable, Equatable {
        public var tag: String
        public var size = 1
        public var rate = 1
        public var autoIncrementKey: String?
        public var samples: [[MessagePackPair]] = [[MessagePackPair(key: "message", value: "sample")]]

        public init(tag: String) { self.tag = tag }

        public init(_ element: ConfigElement) throws {
            self.init(tag: try element.requiredString("tag"))
            size = try element.integer("size", default: 1)
            guard size >= 1 else { throw element.rejected("size", "must be at least 1") }
            rate = try element.integer("rate", default: 1)
            guard rate >= 1 else { throw element.rejected("rate", "must be at least 1") }
            autoIncrementKey = element.string("auto_increment_key")
            _ = try element.bool("suspend")
            let key = element.has("sample") ? "sample" : "dummy"
            if let raw = element.string(key) {
                let value: MessagePackValue
                do {
                    value = try JSONReader.decode(raw)
                } catch {
                    throw element.invalid(key, raw, expected: "a JSON object or an array of JSON objects (\(error))")
                }
                let elements: [MessagePackValue]
                if case .array(let list) = value { elements = list } else { elements = [value] }
                guard !elements.isEmpty else { throw element.rejected(key, "has no records") }
                samples = try elements.enumerated().map { index, element_ in
                    guard case .map(let pairs) = element_ else {
                        throw element.rejected(key, "\(index)th element of sample, \(element_), is not a hash")
                    }
                    return pairs
                }
            }
        }
    }

    public let configuration: Configuration
    let sink: any EventSink
    let logger: Logger
    let limiter = LogRateLimiter(interval: 10, reasonKey: "sample.reason", suppressedKey: "sample.suppressed")

    public init(configuration: Configuration, sink: any EventSink, logger: Logger) {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
    }

    /// The events of one emit of `count` x `size`, continuing from `state`.
    struct Generator: Sendable {
        var next = 0
        var counter: Int64 = 0

        mutating func stream(_ configuration: Configuration, emits: Int, time: EventTime) -> EventStream {
            var builder = EventStreamBuilder(tag: configuration.tag, capacity: 64 * emits * configuration.size)
            for _ in 0..<(emits * configuration.size) {
                var pairs = configuration.samples[next]
                next = (next + 1) % configuration.samples.count
                if let key = configuration.autoIncrementKey {
                    let value = MessagePackValue.int(counter)
                    counter += 1
                    if let index = pairs.firstIndex(where: { $0.key.stringValue == key }) {
                        pairs[index].value = value
                    } else {
                        pairs.append(MessagePackPair(key: .string(key), value: value))
                    }
                }
                builder.append(time: time, record: .map(pairs))
            }
            return builder.take()
        }
    }

    public func run() async throws {
        let perSlot = configuration.rate / 10
        let residual = configuration.rate % 10
        do {
            try await cancelWhenGracefulShutdown {
                var generator = Generator()
                while !Task.isCancelled {
                    let second = EventTime.now().seconds
                    for slot in 0..<10 {
                        let started = MonotonicClock.seconds()
                        let now = EventTime.now()
                        guard now.seconds == second else { break }
                        var emits = perSlot
                        if slot == 9 { emits += residual }
                        if emits > 0 { await self.emit(generator.stream(self.configuration, emits: emits, time: now)) }
                        let left = 0.1 - (MonotonicClock.seconds() - started)
                        if left > 0 { try await Task.sleep(for: .nanoseconds(Int64(left * 1e9))) }
                    }
                    // Wait for the next second.
                    while EventTime.now().seconds == second {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
            }
        } catch is CancellationError {}
    }

    func emit(_ stream: EventStream) async {
        do {
            try await sink.emit(stream)
        } catch {
            limiter.log(logger, level: .warning, "sample events dropped", reason: "emit failed", metadata: ["error": "\(error)"])
        }
    }
}

extension SampleInput {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        SampleInput(configuration: try Configuration(context.element), sink: context.router, logger: context.logger)
    }
}
