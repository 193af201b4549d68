import Foundation
import RunnelTestSupport
import Testing
@testable import RunnelTail

struct PosFileTests {
    @Test func entryFormatIsFluentds() {
        let entry = PosFileEntry(path: "/var/log/app.log", position: 0x1a2b, inode: 123_456)
        #expect(entry.line == "/var/log/app.log\t0000000000001a2b\t000000000001e240\n")
        #expect(PosFileEntry(line: "/var/log/app.log\t0000000000001a2b\t000000000001e240") == entry)
        #expect(PosFileEntry(line: "garbage") == nil)
    }

    @Test func parseSkipsUnwatchedAndKeepsLastDuplicate() {
        let text = """
            /a.log\t0000000000000010\t0000000000000001
            /b.log\tffffffffffffffff\t0000000000000002
            /a.log\t0000000000000020\t0000000000000001
            broken line
            /c.log\t0000000000000000\t0000000000000003

            """
        #expect(
            PosFileEntry.parse(text) == [
                PosFileEntry(path: "/a.log", position: 0x20, inode: 1), PosFileEntry(path: "/c.log", position: 0, inode: 3),
            ])
    }

    @Test func missingDirectoryIsCreatedAsFluentdDoes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/state/tail/containers.pos"
        let pos = try PosFile(path: path)
        try pos.update(path: "/x/a.log", position: 1, inode: 2)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "/x/a.log\t0000000000000001\t0000000000000002\n")
    }

    @Test func updatesInPlaceAndMarksUnwatched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/pos"
        let pos = try PosFile(path: path)
        try pos.update(path: "/x/a.log", position: 5, inode: 7)
        try pos.update(path: "/x/b.log", position: 1, inode: 8)
        try pos.update(path: "/x/a.log", position: 0xabc, inode: 7)
        try pos.markUnwatched(path: "/x/b.log")
        #expect(
            try String(contentsOfFile: path, encoding: .utf8) == "/x/a.log\t0000000000000abc\t0000000000000007\n/x/b.log\tffffffffffffffff\t0000000000000008\n")
        #expect(pos.entry(for: "/x/b.log") == nil)
        try pos.compact()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "/x/a.log\t0000000000000abc\t0000000000000007\n")
        let reopened = try PosFile(path: path)
        #expect(reopened.entry(for: "/x/a.log") == PosFileEntry(path: "/x/a.log", position: 0xabc, inode: 7))
    }
}
