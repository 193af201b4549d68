import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<match> @type detect_exceptions` (GoogleCloudPlatform's fluent-plugin-detect-exceptions, an
/// output): records whose message lines form a stack trace (Java, JavaScript, C#, Python, Go,
/// Ruby, PHP, Dart) are joined into one record, the first, whose message field holds all the
/// lines; every record is emitted again with `remove_tag_prefix.` taken off its tag.
///
/// | parameter | type | default |
/// |---|---|---|
/// | `remove_tag_prefix` | string | required |
/// | `message` | field name; "" tries `message`, then `log` | "" |
/// | `languages` | array among java, js, csharp, python, go, ruby, php, dart, all | all |
/// | `multiline_flush_interval` | time; a held trace older than this is sent | none (held until complete) |
/// | `force_line_breaks` | bool | false |
/// | `max_lines` | integer; 0 no limit | 1000 |
/// | `max_bytes` | integer (characters, as the plugin counts); 0 no limit | 0 |
/// | `stream` | field name separating logical streams; "" none | "" |
public final class DetectExceptionsOutput: OutputPlugin, HoldingPlugin {
    let prefix: String
    let stream: String
    let flushInterval: Double?
    let template: TraceAccumulator
    let accumulators = Mutex<[[String]: (outTag: String, accumulator: TraceAccumulator)]>([:])
    let router: any EventSink
    let logger: Logger
    let clock: @Sendable () -> Double
    /// One warning a minute per tag whose events are dropped.
    let drops = LogRateLimiter(interval: 60, suppressedKey: "detect_exceptions.suppressed")

    public static func make(_ context: PluginContext) throws -> any OutputPlugin {
        try DetectExceptionsOutput(context.element, router: context.router, logger: context.logger)
    }

    init(_ element: ConfigElement, router: any EventSink, logger: Logger, clock: @escaping @Sendable () -> Double = MonotonicClock.seconds) throws {
        prefix = try element.requiredString("remove_tag_prefix")
        var options = TraceAccumulator.Options()
        options.messageField = element.string("message", default: "")
        options.forceLineBreaks = try element.bool("force_line_breaks", default: false)
        options.maxLines = try element.integer("max_lines", default: 1000)
        options.maxBytes = try element.integer("max_bytes", default: 0)
        stream = element.string("stream", default: "")
        flushInterval = try element.time("multiline_flush_interval")
        let languages = try element.array("languages", default: [])
        let detector: ExceptionDetector
        do {
            detector = try ExceptionDetector(languages: languages)
        } catch {
            throw element.invalid(
                "languages", languages.joined(separator: ","),
                expected: "languages among \(ExceptionDetector.languageNames) (unknown: \((error as? ExceptionDetector.UnknownLanguage)?.name ?? "\(error)"))")
        }
        template = TraceAccumulator(detector: detector, options: options)
        self.router = router
        self.logger = logger
        self.clock = clock
    }

    /// `tag.sub(/^prefix\./, '')`.
    func outTag(_ tag: String) -> String {
        tag.hasPrefix(prefix + ".") ? String(tag.dropFirst(prefix.count + 1)) : tag
    }

    public func emit(_ stream: EventStream) async throws {
        let events = try stream.decodedEntries()
        let now = clock()
        let out: [TraceAccumulator.Event] = accumulators.withLock { accumulators in
            var out: [TraceAccumulator.Event] = []
            for (time, record) in events {
                var id = [stream.tag]
                if !self.stream.isEmpty { id.append(RecordValue.toS(record[self.stream])) }
                var entry = accumulators[id] ?? (outTag(stream.tag), template)
                out += entry.accumulator.push(time: time, record: record, now: now)
                accumulators[id] = entry
            }
            return out
        }
        try await send(out, tag: outTag(stream.tag), original: stream.tag)
    }

    func send(_ events: [TraceAccumulator.Event], tag: String, original: String) async throws {
        guard !events.isEmpty else { return }
        if tag == original {
            // The plugin would emit these to itself again and again.
            drops.log(
                logger, level: .warning, "detect_exceptions: the tag does not start with remove_tag_prefix, so its events would come back here; dropped",
                reason: original, metadata: ["tag": "\(original)", "remove_tag_prefix": "\(prefix)"], now: clock())
            return
        }
        var builder = EventStreamBuilder(tag: tag)
        for event in events { builder.append(time: event.time, record: event.record) }
        try await router.emit(builder.build())
    }

    /// Sends held traces older than `multiline_flush_interval`, checked every tenth of it (at
    /// least every second, as the plugin does), and everything held at shutdown.
    public func run() async throws {
        if let flushInterval {
            let check = Duration.milliseconds(Int(max(flushInterval * 0.1, 1) * 1000))
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: check) } catch { break }
                    await self.flush { now, accumulator in now - accumulator.bufferStart > flushInterval }
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        await flush { _, _ in true }
    }

    func flush(when due: (Double, TraceAccumulator) -> Bool) async {
        let now = clock()
        let flushed: [(tag: String, original: String, events: [TraceAccumulator.Event])] = accumulators.withLock { accumulators in
            var out: [(tag: String, original: String, events: [TraceAccumulator.Event])] = []
            for (id, value) in accumulators where due(now, value.accumulator) {
                var entry = value
                let events = entry.accumulator.forceFlush()
                accumulators[id] = entry
                if !events.isEmpty { out.append((entry.outTag, id[0], events)) }
            }
            return out
        }
        for item in flushed {
            do { try await send(item.events, tag: item.tag, original: item.original) } catch {
                logger.warning("detect_exceptions: held trace could not be sent", metadata: ["tag": "\(item.tag)", "error": "\(error)"])
            }
        }
    }
}
