/// The rules for following one path, as a value: rotation by rename (keep reading the old file
/// for `rotate_wait`, then only the new one, from its head), copytruncate (the file shrank:
/// continue at 0), deletion, and a path that appears later. It reads no clock and touches no file:
/// inputs are stat results, read results and the time; outputs are actions the watcher carries out.
///
/// Offsets are the position after the last complete line handed on: what the pos_file records.
public struct TailFileStateMachine: Sendable {
    public enum Start: Equatable, Sendable {
        /// From the first byte (`read_from_head`, or a file that appeared after start-up).
        case head
        /// From the current end (Fluentd's default for files present at start-up).
        case tail
        /// From a pos_file entry: the position applies only if the inode matches.
        case resume(inode: UInt64, offset: UInt64)
    }

    public enum Action: Equatable, Sendable {
        /// Open the path, which has this identity, and read from `offset`.
        case open(FileIdentity, offset: UInt64)
        /// Read from the open file with this identity, from its offset.
        case read(FileIdentity)
        /// Stop reading a rotated or deleted file: emit any unterminated last line, close it.
        case close(FileIdentity)
        /// Record the position of the path's current file in the pos_file.
        case checkpoint(FileIdentity, offset: UInt64)
        /// The path is gone and nothing is open: stop watching, mark the pos_file entry unwatched.
        case unwatch
    }

    struct OpenFile: Equatable, Sendable {
        var identity: FileIdentity
        var offset: UInt64
        /// For a rotated file: when to stop reading it.
        var deadline: Double?
    }

    public let rotateWait: Double
    var start: Start?
    var current: OpenFile?
    var rotated: [OpenFile] = []
    /// Rotated files whose rotate_wait is over, between `.close` and `didClose`: the watcher still
    /// reads them to EOF, so their offsets must stay known until then.
    var closing: [OpenFile] = []
    public private(set) var isUnwatched = false

    public init(start: Start, rotateWait: Double) {
        self.start = start
        self.rotateWait = rotateWait
    }

    public var currentIdentity: FileIdentity? { current?.identity }
    public func offset(of identity: FileIdentity) -> UInt64? {
        if current?.identity == identity { return current?.offset }
        return (rotated.first { $0.identity == identity } ?? closing.first { $0.identity == identity })?.offset
    }
    /// Identities of every file open for this path (current first).
    public var openIdentities: [FileIdentity] {
        (current.map { [$0.identity] } ?? []) + rotated.map(\.identity) + closing.map(\.identity)
    }

    /// A new look at the path (`nil`: missing) and at the sizes of the files open for it.
    public mutating func observe(path: FileStatus?, openSizes: [FileIdentity: UInt64], now: Double) -> [Action] {
        guard !isUnwatched else { return [] }
        var actions: [Action] = []
        // A rotated file back at the path (moved away and back, or missing for a moment) is the
        // current file again, at its offset: opening it anew would read it twice and give one
        // identity two descriptors, the rotated entry's `.close` then closing the current one.
        var returning: OpenFile?
        if let status = path, current?.identity != status.identity,
            let index = rotated.firstIndex(where: { $0.identity == status.identity })
        {
            returning = rotated.remove(at: index)
            returning!.deadline = nil
        }
        // Rotated files first: their lines were written before the new file's.
        var keep: [OpenFile] = []
        for file in rotated {
            if let deadline = file.deadline, now >= deadline {
                // Kept in `closing` until `didClose`: the final read and the drain before closing
                // need its offset (a poll delayed past the deadline must not lose what is left).
                closing.append(file)
                actions.append(.read(file.identity))
                actions.append(.close(file.identity))
            } else {
                if let size = openSizes[file.identity], size > file.offset { actions.append(.read(file.identity)) }
                keep.append(file)
            }
        }
        rotated = keep

        switch (current, path) {
        case (nil, nil):
            if start == nil, rotated.isEmpty {
                isUnwatched = true
                actions.append(.unwatch)
            }
        case (nil, let status?) where returning != nil:
            resume(returning!, status: status, into: &actions)
        case (let file?, let status?) where returning != nil:
            rotate(file, now: now, into: &actions)
            resume(returning!, status: status, into: &actions)
        case (nil, let status?):
            let offset: UInt64
            switch start {
            case .head?, nil: offset = 0
            case .tail?: offset = status.size
            case .resume(let inode, let position)?:
                offset = inode == status.identity.inode && position <= status.size ? position : 0
            }
            start = nil
            current = OpenFile(identity: status.identity, offset: offset)
            actions.append(.open(status.identity, offset: offset))
            actions.append(.checkpoint(status.identity, offset: offset))
            if status.size > offset { actions.append(.read(status.identity)) }
        case (let file?, nil):
            // Deleted or moved away: drain it for rotate_wait, then unwatch unless the path comes back.
            rotate(file, now: now, into: &actions)
            current = nil
        case (var file?, let status?):
            if status.identity != file.identity {
                rotate(file, now: now, into: &actions)
                current = OpenFile(identity: status.identity, offset: 0)
                actions.append(.open(status.identity, offset: 0))
                actions.append(.checkpoint(status.identity, offset: 0))
                if status.size > 0 { actions.append(.read(status.identity)) }
            } else if status.size < file.offset {
                // copytruncate (or recreated with the same inode): start again at the head.
                file.offset = 0
                current = file
                actions.append(.checkpoint(file.identity, offset: 0))
                if status.size > 0 { actions.append(.read(file.identity)) }
            } else if status.size > file.offset {
                actions.append(.read(file.identity))
            }
        }
        return actions
    }

    /// Makes a file taken back from `rotated` the current one (no open: its descriptor is open).
    mutating func resume(_ file: OpenFile, status: FileStatus, into actions: inout [Action]) {
        var file = file
        if status.size < file.offset { file.offset = 0 }
        current = file
        actions.append(.checkpoint(file.identity, offset: file.offset))
        if status.size > file.offset { actions.append(.read(file.identity)) }
    }

    mutating func rotate(_ file: OpenFile, now: Double, into actions: inout [Action]) {
        var old = file
        old.deadline = now + rotateWait
        rotated.append(old)
        actions.append(.read(old.identity))
    }

    /// A read of `identity` handed on everything up to `offset`.
    public mutating func didRead(_ identity: FileIdentity, to offset: UInt64) -> [Action] {
        if current?.identity == identity {
            current!.offset = offset
            return [.checkpoint(identity, offset: offset)]
        }
        if let index = rotated.firstIndex(where: { $0.identity == identity }) {
            rotated[index].offset = offset
        } else if let index = closing.firstIndex(where: { $0.identity == identity }) {
            closing[index].offset = offset
        }
        return []
    }

    /// The watcher read a file it was told to `.close` to its end and closed it.
    public mutating func didClose(_ identity: FileIdentity) {
        closing.removeAll { $0.identity == identity }
    }

    /// Forget an open file (it could not be opened or vanished between stat and open); the next observation retries.
    public mutating func didFailToOpen(_ identity: FileIdentity) {
        if current?.identity == identity { current = nil }
    }
}
