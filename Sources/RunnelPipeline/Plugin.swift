import Logging
import RunnelConfig
import RunnelCore
import ServiceLifecycle
import Synchronization

/// Where inputs, filters and the router send events.
public protocol EventSink: Sendable {
    /// Accepts a batch of events.
    ///
    /// Returns once the events are held as the receiver promises: for a buffered output, written
    /// to its buffer (and fsynced when the buffer is `durable`). An input acknowledges its client
    /// only after this returns. While a buffer with `overflow_action block` is full, this suspends,
    /// which is how back-pressure reaches the inputs. Throws `PipelineError` when the events were
    /// not taken (a full buffer with `throw_exception`), so the input must not acknowledge them.
    func emit(_ stream: EventStream) async throws
}

/// A `<source>`: produces events until its service is asked to stop.
///
/// `run()` returns after graceful shutdown once everything it read has been emitted
/// (and, for a Forward input, acknowledged).
extension EventSink {
    /// Emits `stream`, waiting and trying again while the destination refuses it with a retryable
    /// error (a full buffer): how inputs that read at their own pace (files, the journal) push
    /// back on what they read. `isStopping` ends the wait by rethrowing.
    public func emitRetrying(_ stream: EventStream, isStopping: () -> Bool = { false }) async throws {
        while true {
            do {
                try await emit(stream)
                return
            } catch let error as PipelineError where error.isRetryable {
                if isStopping() { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

public protocol InputPlugin: Service {}

/// A `<filter>`: transforms a batch. It may drop events (returning fewer) or change tags.
public protocol FilterPlugin: Sendable {
    func filter(_ stream: EventStream) throws -> [EventStream]
}

/// A filter or output that holds events back and sends them into a router later (concat's
/// lines waiting for the rest of their message, detect_exceptions' stack traces). It runs as a
/// service: `run()` flushes what timed out, and what it holds at graceful shutdown, before it
/// returns. The runtime stops these after the inputs and before the other outputs.
public protocol HoldingPlugin: Service {}

/// A `<match>` output. Its `emit` takes events in (into its buffer, if any); its `run()` sends
/// them on and, at graceful shutdown, flushes what `flush_at_shutdown` says before returning.
public protocol OutputPlugin: Service, EventSink {
    /// Sends everything buffered now (SIGUSR1).
    func flushNow() async
}

extension OutputPlugin {
    public func flushNow() async {}
}

/// Everything a plugin is given when it is built from its configuration section.
public struct PluginContext: Sendable {
    /// The plugin's own section (`<source>`, `<match ...>`, `<filter ...>`, `<store>`).
    public var element: ConfigElement
    public var logger: Logger
    /// Where this plugin's events go: the router of its `@label`, or the root router.
    public var router: any EventSink
    /// The router of a named label (`@ERROR`, a `relabel` target), if the configuration has it.
    public var labelRouter: @Sendable (String) -> (any EventSink)?
    /// Builds a nested output (`copy`'s `<store>` sections).
    public var makeOutput: @Sendable (ConfigElement) throws -> any OutputPlugin
    public var system: SystemConfiguration
    /// The plugin's id: its `@id`, or `TYPE.N` (the N-th of that type) as monitor_agent lists it.
    /// Buffers, metrics and logs name the plugin by it.
    public var id: String
    /// Paths plugins of one pipeline have taken (buffer directories), so two cannot share one.
    public var claims: PathClaims

    public init(
        element: ConfigElement, logger: Logger, router: any EventSink,
        labelRouter: @escaping @Sendable (String) -> (any EventSink)?,
        makeOutput: @escaping @Sendable (ConfigElement) throws -> any OutputPlugin,
        system: SystemConfiguration, id: String? = nil, claims: PathClaims = PathClaims()
    ) {
        self.element = element
        self.logger = logger
        self.router = router
        self.labelRouter = labelRouter
        self.makeOutput = makeOutput
        self.system = system
        self.id = id ?? element.rawValue("@id") ?? element.pluginType ?? element.name
        self.claims = claims
    }

    /// The `@ERROR` label's router, where records an output rejects are sent, if one is configured.
    public var errorRouter: (any EventSink)? { labelRouter("@ERROR") }
}

/// The paths the plugins of one pipeline take, so that two never share one (Fluentd's buf_file:
/// "Other 'X' plugin already use same buffer path").
public final class PathClaims: Sendable {
    private let taken = Mutex<[String: (id: String, location: SourceLocation)]>([:])

    public init() {}

    /// Takes `path` for `id`; throws naming both plugins when another has it.
    public func claim(_ path: String, what: String, by id: String, at location: SourceLocation) throws {
        let normalized = (path.hasSuffix("/") && path.count > 1) ? String(path.dropLast()) : path
        let holder: (id: String, location: SourceLocation)? = taken.withLock { taken in
            if let holder = taken[normalized], holder.id != id { return holder }
            taken[normalized] = (id, location)
            return nil
        }
        if let holder {
            throw ConfigError(
                .structure, at: location,
                "\(what) \(path) of '\(id)' is already used by '\(holder.id)' (\(holder.location)); give each output its own path")
        }
    }
}

/// The `<system>` section: process-wide settings.
public struct SystemConfiguration: Sendable {
    /// `root_dir`: where buffers without an explicit `path` keep their files.
    public var rootDirectory: String?
    public var logLevel: Logger.Level
    /// `workers` must be 1.
    public var workers: Int

    /// `<log> format`: Runnel's own log lines as Fluentd's text, or one JSON object each.
    public var logFormat: LogFormat = .text
    /// `<log> time_format`: strftime for the time of Runnel's own log lines; nil keeps the default.
    public var logTimeFormat: String?
    /// `rpc_endpoint` (`HOST:PORT`): where Fluentd's HTTP RPC (`/api/plugins.flushBuffers`, ...)
    /// is served; nil serves none.
    public var rpcEndpoint: String?
    /// `enable_get_dump`: whether the RPC serves `/api/config.getDump`.
    public var enableGetDump = false
    /// `process_name`: the process' name as `ps` shows it (`supervisor:NAME` in Fluentd).
    public var processName: String?
    /// `file_permission` / `dir_permission`: the modes of the files and directories Runnel
    /// creates (buffers, pos files, checkpoints, out_file, secondary_file), unless a plugin's
    /// own parameter says otherwise.
    public var filePermission: UInt16 = 0o644
    public var dirPermission: UInt16 = 0o755
    /// `enable_input_metrics`: inputs count what they emit (`emit_records` in monitor_agent).
    public var enableInputMetrics = false
    /// `enable_size_metrics`: and its size (`emit_size`).
    public var enableSizeMetrics = false

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public init(rootDirectory: String? = nil, logLevel: Logger.Level = .info, workers: Int = 1) {
        self.rootDirectory = rootDirectory
        self.logLevel = logLevel
        self.workers = workers
    }
}

/// Builds plugins by `@type`. RunnelApp registers every plugin Runnel has.
public struct PluginRegistry: Sendable {
    public typealias InputFactory = @Sendable (PluginContext) throws -> any InputPlugin
    public typealias FilterFactory = @Sendable (PluginContext) throws -> any FilterPlugin
    public typealias OutputFactory = @Sendable (PluginContext) throws -> any OutputPlugin

    public var inputs: [String: InputFactory] = [:]
    public var filters: [String: FilterFactory] = [:]
    public var outputs: [String: OutputFactory] = [:]
    /// Types a Fluentd user may write that Runnel knows of but does not have yet, with a reason.
    public var planned: [String: String] = [:]

    public init() {}
}
