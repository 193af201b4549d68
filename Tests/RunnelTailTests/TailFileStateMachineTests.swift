import Testing
@testable import RunnelTail

struct TailFileStateMachineTests {
    typealias Action = TailFileStateMachine.Action
    let a = FileIdentity(inode: 1)
    let b = FileIdentity(inode: 2)

    func status(_ identity: FileIdentity, _ size: UInt64) -> FileStatus { FileStatus(identity: identity, size: size) }

    @Test func startPositions() {
        var head = TailFileStateMachine(start: .head, rotateWait: 5)
        #expect(head.observe(path: status(a, 10), openSizes: [:], now: 0) == [.open(a, offset: 0), .checkpoint(a, offset: 0), .read(a)])
        var tail = TailFileStateMachine(start: .tail, rotateWait: 5)
        #expect(tail.observe(path: status(a, 10), openSizes: [:], now: 0) == [.open(a, offset: 10), .checkpoint(a, offset: 10)])
        var resume = TailFileStateMachine(start: .resume(inode: 1, offset: 4), rotateWait: 5)
        #expect(resume.observe(path: status(a, 10), openSizes: [:], now: 0) == [.open(a, offset: 4), .checkpoint(a, offset: 4), .read(a)])
        // The pos_file names another inode: the file was rotated while we were stopped, read the new one from its head.
        var rotatedWhileStopped = TailFileStateMachine(start: .resume(inode: 9, offset: 4), rotateWait: 5)
        #expect(rotatedWhileStopped.observe(path: status(a, 10), openSizes: [:], now: 0).first == .open(a, offset: 0))
        // A position past the end (the file was truncated while stopped) restarts at 0.
        var truncatedWhileStopped = TailFileStateMachine(start: .resume(inode: 1, offset: 40), rotateWait: 5)
        #expect(truncatedWhileStopped.observe(path: status(a, 10), openSizes: [:], now: 0).first == .open(a, offset: 0))
    }

    @Test func appendsAreRead() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        _ = m.observe(path: status(a, 0), openSizes: [:], now: 0)
        #expect(m.observe(path: status(a, 0), openSizes: [a: 0], now: 1) == [])
        #expect(m.observe(path: status(a, 6), openSizes: [a: 6], now: 2) == [.read(a)])
        #expect(m.didRead(a, to: 6) == [.checkpoint(a, offset: 6)])
        #expect(m.observe(path: status(a, 6), openSizes: [a: 6], now: 3) == [])
    }

    @Test func renameRotationKeepsReadingOldFileForRotateWait() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        _ = m.observe(path: status(a, 10), openSizes: [:], now: 0)
        _ = m.didRead(a, to: 10)
        // logrotate renamed a away and created b at the path.
        #expect(
            m.observe(path: status(b, 3), openSizes: [a: 12], now: 10)
                == [.read(a), .open(b, offset: 0), .checkpoint(b, offset: 0), .read(b)])
        _ = m.didRead(a, to: 12)
        _ = m.didRead(b, to: 3)
        // Late writes to the old file are still read until rotate_wait passes.
        #expect(m.observe(path: status(b, 3), openSizes: [a: 20, b: 3], now: 14) == [.read(a)])
        _ = m.didRead(a, to: 20)
        #expect(m.observe(path: status(b, 3), openSizes: [a: 26, b: 3], now: 15) == [.read(a), .close(a)])
        // Until the watcher has drained and closed it, the old file's offset stays known: its last
        // lines (written before the poll that came late) are read from there, not lost.
        #expect(m.offset(of: a) == 20)
        #expect(m.didRead(a, to: 26) == [])
        #expect(m.offset(of: a) == 26)
        m.didClose(a)
        #expect(m.offset(of: a) == nil)
        #expect(m.openIdentities == [b])
        // Positions of the old file never reach the pos_file.
        #expect(m.didRead(a, to: 25) == [])
    }

    @Test func copytruncateRestartsAtHead() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        _ = m.observe(path: status(a, 100), openSizes: [:], now: 0)
        _ = m.didRead(a, to: 100)
        #expect(m.observe(path: status(a, 0), openSizes: [a: 0], now: 1) == [.checkpoint(a, offset: 0)])
        #expect(m.observe(path: status(a, 20), openSizes: [a: 20], now: 2) == [.read(a)])
        // Recreated with the same inode and shorter content: the same rule applies.
        _ = m.didRead(a, to: 20)
        #expect(m.observe(path: status(a, 5), openSizes: [a: 5], now: 3) == [.checkpoint(a, offset: 0), .read(a)])
    }

    @Test func deletionDrainsThenUnwatches() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        _ = m.observe(path: status(a, 10), openSizes: [:], now: 0)
        _ = m.didRead(a, to: 10)
        #expect(m.observe(path: nil, openSizes: [a: 10], now: 1) == [.read(a)])
        #expect(m.observe(path: nil, openSizes: [a: 10], now: 2) == [])
        #expect(m.observe(path: nil, openSizes: [a: 10], now: 6) == [.read(a), .close(a), .unwatch])
        #expect(m.isUnwatched)
        #expect(m.observe(path: status(b, 1), openSizes: [:], now: 7) == [])
    }

    @Test func pathComingBackAfterDeletionIsReadFromHead() {
        var m = TailFileStateMachine(start: .tail, rotateWait: 5)
        _ = m.observe(path: status(a, 10), openSizes: [:], now: 0)
        _ = m.observe(path: nil, openSizes: [a: 10], now: 1)
        #expect(m.observe(path: status(b, 4), openSizes: [a: 10], now: 2) == [.open(b, offset: 0), .checkpoint(b, offset: 0), .read(b)])
    }

    @Test func rotatedFileBackAtThePathIsCurrentAgain() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        _ = m.observe(path: status(a, 10), openSizes: [:], now: 0)
        _ = m.didRead(a, to: 10)
        // Moved away (path missing), then moved back with more lines: no second open, no re-read.
        #expect(m.observe(path: nil, openSizes: [a: 10], now: 1) == [.read(a)])
        #expect(m.observe(path: status(a, 14), openSizes: [a: 14], now: 2) == [.checkpoint(a, offset: 10), .read(a)])
        #expect(m.openIdentities == [a])
        // Its old rotate_wait deadline is gone with it: never closed while current.
        _ = m.didRead(a, to: 14)
        #expect(m.observe(path: status(a, 14), openSizes: [a: 14], now: 100) == [])
        // Same when another file took the path in between.
        #expect(m.observe(path: status(b, 0), openSizes: [a: 14], now: 101) == [.read(a), .open(b, offset: 0), .checkpoint(b, offset: 0)])
        #expect(m.observe(path: status(a, 14), openSizes: [a: 14, b: 0], now: 102) == [.read(b), .checkpoint(a, offset: 14)])
        #expect(m.openIdentities == [a, b])
    }

    @Test func missingAtStartIsWaitedFor() {
        var m = TailFileStateMachine(start: .head, rotateWait: 5)
        #expect(m.observe(path: nil, openSizes: [:], now: 0) == [])
        #expect(!m.isUnwatched)
        #expect(m.observe(path: status(a, 1), openSizes: [:], now: 1).first == .open(a, offset: 0))
    }
}
