import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Listening sockets that outlive one pipeline, so a reload (SIGHUP) never closes a port that the
/// new configuration listens on too: clients that connect while the old pipeline stops wait in the
/// socket's backlog and are accepted by the new one, instead of being refused.
///
/// An input reserves its address when it is built (`reserve`), which keeps an open socket for that
/// address alive; it takes the socket when it runs (`ListenerLease.socket`) and releases it when it
/// stops or is discarded. On a reload the new pipeline is built, so has reserved its addresses,
/// before the old one stops and releases; a socket is closed only when no pipeline reserves it.
public final class ListenerSockets: Sendable {
    /// The one set of the process: reloads build new pipelines against it.
    public static let shared = ListenerSockets()

    private struct Entry {
        /// The socket this set owns; inputs get duplicates of it.
        var descriptor: Int32?
        var reservations = 0
        /// An input is serving from it now.
        var inUse = false
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Reserves `address` (any stable description of what is listened on, such as "tcp 0.0.0.0:24224").
    public func reserve(_ address: String) -> ListenerLease {
        entries.withLock { $0[address, default: Entry()].reservations += 1 }
        return ListenerLease(address: address, sockets: self)
    }

    /// Whether an open socket is kept for `address` (for tests and the log).
    public func isOpen(_ address: String) -> Bool {
        entries.withLock { $0[address]?.descriptor != nil }
    }

    fileprivate func take(_ address: String, backlog: Int32, open: () throws -> Int32) throws -> Int32 {
        try entries.withLock { entries in
            var entry = entries[address, default: Entry()]
            guard !entry.inUse else { throw ListenerError(address: address, reason: "another input of this configuration already listens there") }
            if entry.descriptor == nil { entry.descriptor = try open() }
            let descriptor = entry.descriptor!
            // A second listen() only sets the backlog of the socket that already listens.
            _ = listen(descriptor, backlog)
            let copy = dup(descriptor)
            guard copy >= 0 else { throw ListenerError(address: address, reason: "dup: \(String(cString: strerror(errno)))") }
            _ = fcntl(copy, F_SETFD, FD_CLOEXEC)
            entry.inUse = true
            entries[address] = entry
            return copy
        }
    }

    fileprivate func release(_ address: String, tookSocket: Bool) {
        let closing: Int32? = entries.withLock { entries in
            guard var entry = entries[address] else { return nil }
            entry.reservations -= 1
            if tookSocket { entry.inUse = false }
            if entry.reservations <= 0 {
                entries.removeValue(forKey: address)
                return entry.descriptor
            }
            entries[address] = entry
            return nil
        }
        if let closing { _ = Glibc.close(closing) }
    }
}

/// One input's hold on a listening address; released once, by `release()` or when dropped.
public final class ListenerLease: Sendable {
    public let address: String
    private let sockets: ListenerSockets
    private let state = Mutex<(took: Bool, released: Bool)>((false, false))

    fileprivate init(address: String, sockets: ListenerSockets) {
        self.address = address
        self.sockets = sockets
    }

    /// A listening socket for the address, the caller's to close: a duplicate of the one kept
    /// across reloads, opened with `open` (socket, bind, listen) the first time.
    public func socket(backlog: Int32, open: () throws -> Int32) throws -> Int32 {
        let descriptor = try sockets.take(address, backlog: backlog, open: open)
        state.withLock { $0.took = true }
        return descriptor
    }

    /// The input stopped (or will never run): the socket is closed unless another pipeline reserved it.
    public func release() {
        let took: Bool? = state.withLock { state in
            guard !state.released else { return nil }
            state.released = true
            return state.took
        }
        if let took { sockets.release(address, tookSocket: took) }
    }

    deinit { release() }
}

public struct ListenerError: Error, CustomStringConvertible, Sendable {
    public var address: String
    public var reason: String

    public init(address: String, reason: String) {
        self.address = address
        self.reason = reason
    }

    public var description: String { "cannot listen on \(address): \(reason)" }
}
