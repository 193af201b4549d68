import Logging
import RunnelCore
import RunnelParsers

/// The body of `TailInputPlugin.run()`: refreshes the path list, polls each watcher on the
/// thread pool, emits what it read, then records positions.
struct TailLoop {
    let plugin: TailInputPlugin
    let posFile: PosFile?
    let wakeups: WakeupSource
    var watchers: [String: TailWatcher] = [:]
    var lastRefresh: Double?
    var lastCompaction: Double
    var startedUp = false

    init(plugin: TailInputPlugin, posFile: PosFile?, wakeups: WakeupSource) {
        self.plugin = plugin
        self.posFile = posFile
        self.wakeups = wakeups
        lastCompaction = plugin.clock()
        if plugin.configuration.skipRefreshOnStartup { lastRefresh = plugin.clock() }
    }

    var configuration: TailInputConfiguration { plugin.configuration }

    mutating func run() async throws {
        var iterator = wakeups.stream.makeAsyncIterator()
        while !Task.isCancelled, !wakeups.isStopped {
            try await tick()
            guard await iterator.next() != nil else { return }
        }
    }

    mutating func tick() async throws {
        let now = plugin.clock()
        if lastRefresh.map({ now - $0 >= configuration.refreshInterval }) ?? true {
            lastRefresh = now
            try await refresh()
        }
        for path in watchers.keys.sorted() {
            guard let watcher = watchers[path] else { continue }
            try await drain(watcher)
        }
        if let interval = configuration.posFileCompactionInterval, let posFile, now - lastCompaction >= interval {
            lastCompaction = now
            try await plugin.threadPool.runIfActive { try posFile.compact() }
        }
        plugin.completedTicks.add(1, ordering: .relaxed)
    }

    /// Polls one watcher until it has nothing more ready, emitting each batch before recording its position.
    mutating func drain(_ watcher: TailWatcher) async throws {
        while true {
            let now = plugin.clock()
            let result = try await plugin.threadPool.runIfActive { watcher.poll(now: now, eventTime: EventTime.now()) }
            for stream in result.streams { try await plugin.emit(stream) }
            let posFile = self.posFile
            let path = watcher.path
            if let posFile, result.checkpoint != nil || result.unwatched {
                try await plugin.threadPool.runIfActive {
                    if let checkpoint = result.checkpoint {
                        try posFile.update(path: path, position: checkpoint.offset, inode: checkpoint.identity.inode)
                    }
                    if result.unwatched { try posFile.markUnwatched(path: path) }
                }
            }
            if result.unwatched {
                watchers[path] = nil
                return
            }
            guard result.more, !Task.isCancelled, !wakeups.isStopped else { return }
        }
    }

    /// Expands `path` and starts watchers for new files.
    mutating func refresh() async throws {
        let expander = PathExpander(
            patterns: configuration.paths, excludes: configuration.excludePaths,
            globPolicy: configuration.globPolicy,
            limitRecentlyModified: configuration.limitRecentlyModified,
            pathOffsetSeconds: configuration.pathTimezoneOffset)
        let wallSeconds = Int(EventTime.now().seconds)
        let found = try await plugin.threadPool.runIfActive { expander.expand(nowSeconds: wallSeconds) }
        let atStartup = !startedUp
        startedUp = true
        var tracked = Set<FileIdentity>()
        if configuration.followInodes {
            for watcher in watchers.values { tracked.formUnion(watcher.openIdentities) }
        }
        for path in found where watchers[path] == nil {
            let entry = posFile?.entry(for: path)
            let status = FileStatus.of(path: path)
            if configuration.followInodes, let status, tracked.contains(status.identity) { continue }
            let start: TailFileStateMachine.Start
            if let entry {
                start = .resume(inode: entry.inode, offset: entry.position)
            } else if let status, configuration.followInodes,
                let other = posFile?.entries.first(where: { $0.inode == status.identity.inode })
            {
                start = .resume(inode: other.inode, offset: other.position)
            } else if atStartup && !configuration.readFromHead {
                start = .tail
            } else {
                start = .head
            }
            watchers[path] = TailWatcher(
                path: path, start: start, configuration: configuration, parser: plugin.parser, logger: plugin.logger,
                unmatched: plugin.unmatchedLines, counters: plugin.fileCounters)
            wakeups.watch(path: path)
        }
    }

    /// At shutdown: emit what parsers hold (their lines are already behind the recorded positions).
    mutating func finish() async throws {
        for path in watchers.keys.sorted() {
            guard let watcher = watchers[path] else { continue }
            let stream = try await plugin.threadPool.runIfActive { watcher.flushParser(eventTime: EventTime.now()) }
            if let stream { try await plugin.emit(stream) }
            watcher.closeAll()
        }
        watchers.removeAll()
    }
}
