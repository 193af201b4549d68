import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes the tail loop: every `interval` seconds (the watch timer), and on Linux as soon as
/// inotify reports a change to a watched file or directory (`enable_stat_watcher`).
///
/// A dedicated thread waits in `poll(2)` on the inotify descriptor with the timer as timeout,
/// so neither the cooperative pool nor an event loop ever blocks.
final class WakeupSource: Sendable {
    let stream: AsyncStream<Void>
    let continuation: AsyncStream<Void>.Continuation
    let inotifyDescriptor: Int32
    let stopped = Atomic<Bool>(false)
    let watched = Mutex<Set<String>>([])

    init(interval: Double, useInotify: Bool) {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        #if canImport(Glibc)
            inotifyDescriptor = useInotify ? inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) : -1
        #else
            inotifyDescriptor = -1
        #endif
        let fd = inotifyDescriptor
        let continuation = continuation
        let timeout = Int32(max(1, interval * 1000))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !stopped.load(ordering: .relaxed) {
                if fd >= 0 {
                    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&descriptor, 1, timeout) > 0 {
                        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
                    }
                } else {
                    usleep(useconds_t(timeout) * 1000)
                }
                continuation.yield(())
            }
            continuation.finish()
        }
        thread.name = "runnel-tail-watch"
        thread.start()
    }

    /// Watches a file and its directory for changes (a no-op without inotify).
    func watch(path: String) {
        #if canImport(Glibc)
            guard inotifyDescriptor >= 0 else { return }
            let directory = (path as NSString).deletingLastPathComponent
            let fileMask = UInt32(IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_CLOSE_WRITE)
            let directoryMask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY)
            _ = inotify_add_watch(inotifyDescriptor, path, fileMask)
            let isNew = watched.withLock { $0.insert(directory).inserted }
            if isNew { _ = inotify_add_watch(inotifyDescriptor, directory, directoryMask) }
        #endif
    }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        continuation.finish()
    }

    deinit {
        if inotifyDescriptor >= 0 { close(inotifyDescriptor) }
    }
}
