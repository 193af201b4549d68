import Logging
import RunnelConfig
import RunnelCore
import RunnelPipeline
import ServiceLifecycle
import Synchronization

/// `<filter> @type concat` (fluent-plugin-concat 2.x): joins the `key` field of consecutive
/// records of one stream (the tag, plus `stream_identity_key`) into one record, by line count
/// (`n_lines`), by regexps (`multiline_start_regexp`, `multiline_end_regexp`,
/// `continuous_line_regexp`), by a partial flag (`partial_key` / `partial_value`), by Docker's
/// partial metadata (`use_partial_metadata`) or by the CRI logtag (`use_partial_cri_logtag`: `P`
/// parts up to the `F` line, as the cri parser gives them). Parameters: `ConcatConfiguration`.
///
/// Lines held for `flush_interval` seconds without a new record of their stream are joined and
/// sent to `timeout_label`'s router, or else to `@ERROR` (the plugin's `emit_error_event`); what
/// is held at shutdown goes the same way. With neither label, Fluentd logs and drops such an
/// event; Runnel does too, with the record in the warning.
public final class ConcatFilter: FilterPlugin, HoldingPlugin {
    let state: Mutex<ConcatStateMachine>
    let timeoutSink: (any EventSink)?
    let logger: Logger
    let clock: @Sendable () -> Double
    /// How often held lines are checked for `flush_interval` (the plugin's 1-second timer).
    let checkInterval: Duration
    /// One warning a minute for records passed on unjoined.
    let problems = LogRateLimiter(interval: 60, suppressedKey: "concat.suppressed")

    public static func make(_ context: PluginContext) throws -> any FilterPlugin {
        let configuration = try ConcatConfiguration(context.element)
        var sink: (any EventSink)?
        if let label = configuration.timeoutLabel {
            guard let router = context.labelRouter(label) else {
                throw ConfigError(
                    .structure, at: context.element.parameter("timeout_label")?.location ?? context.element.location,
                    "\(context.element.title): timeout_label \(label) is not defined by any <label \(label)> section")
            }
            sink = router
        } else {
            sink = context.errorRouter
        }
        return ConcatFilter(configuration: configuration, timeoutSink: sink, logger: context.logger)
    }

    init(
        configuration: ConcatConfiguration, timeoutSink: (any EventSink)?, logger: Logger,
        clock: @escaping @Sendable () -> Double = MonotonicClock.seconds, checkInterval: Duration = .seconds(1)
    ) {
        state = Mutex(ConcatStateMachine(configuration: configuration))
        self.timeoutSink = timeoutSink
        self.logger = logger
        self.clock = clock
        self.checkInterval = checkInterval
    }

    public func filter(_ stream: EventStream) throws -> [EventStream] {
        if ConcatStateMachine.isFluentLogTag(stream.tag) { return [stream] }
        let now = clock()
        var builder = EventStreamBuilder(tag: stream.tag, capacity: stream.entries.count)
        let events = try stream.decodedEntries()
        state.withLock { machine in
            for (time, record) in events {
                do {
                    for out in try machine.filter(tag: stream.tag, time: time, record: record, now: now) {
                        builder.append(time: out.time, record: out.record)
                    }
                } catch {
                    // The plugin sends such a record to the error stream; a filter here cannot
                    // wait on a router, so it goes on unjoined, with a warning.
                    problems.log(
                        logger, level: .warning, "concat: record passed on unjoined", metadata: ["concat.reason": "\(error)", "tag": "\(stream.tag)"], now: now)
                    builder.append(time: time, record: record)
                }
            }
        }
        return builder.count == 0 ? [] : [builder.build()]
    }

    /// Checks held lines every `checkInterval` until graceful shutdown, then sends what is left.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: self.checkInterval) } catch { break }
                let flushed = self.state.withLock { $0.expire(now: self.clock(), wallNow: EventTime.now()) }
                await self.send(flushed)
            }
        }
        await send(state.withLock { $0.drain() })
    }

    /// Sends what timed out (or remained at shutdown) to `timeout_label` or `@ERROR`.
    func send(_ flushed: [ConcatStateMachine.Flushed]) async {
        for event in flushed {
            logger.info("concat: \(event.reason)")
            guard let timeoutSink else {
                logger.warning(
                    "concat: no timeout_label and no @ERROR label; joined record dropped",
                    metadata: ["tag": "\(event.tag)", "record": "\(JSONWriter.string(event.record))"])
                continue
            }
            var builder = EventStreamBuilder(tag: event.tag)
            builder.append(time: event.time, record: event.record)
            do {
                try await timeoutSink.emitRetrying(builder.build())
            } catch {
                logger.warning("concat: joined record could not be sent", metadata: ["tag": "\(event.tag)", "error": "\(error)"])
            }
        }
    }
}
