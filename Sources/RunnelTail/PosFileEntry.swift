/// One line of a Fluentd pos_file: `path<TAB>position<TAB>inode`, both numbers as 16 lower-case
/// hex digits (in_tail's `"%s\t%016x\t%016x\n"`). A position of `ffffffffffffffff` marks an
/// entry Fluentd stopped watching; such lines are skipped on load and dropped by compaction.
public struct PosFileEntry: Equatable, Sendable {
    public static let unwatchedPosition: UInt64 = 0xffff_ffff_ffff_ffff

    public var path: String
    public var position: UInt64
    public var inode: UInt64

    public init(path: String, position: UInt64, inode: UInt64) {
        self.path = path
        self.position = position
        self.inode = inode
    }

    public var isUnwatched: Bool { position == PosFileEntry.unwatchedPosition }

    /// The line as Fluentd writes it, newline included.
    public var line: String { "\(path)\t\(PosFileEntry.hex16(position))\t\(PosFileEntry.hex16(inode))\n" }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// Parses one line (without its newline); nil for a malformed line.
    public init?(line: Substring) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[0].isEmpty,
            let position = UInt64(fields[1].trimmingSpaces, radix: 16),
            let inode = UInt64(fields[2].trimmingSpaces, radix: 16)
        else { return nil }
        self.init(path: String(fields[0]), position: position, inode: inode)
    }

    /// Entries of a whole pos_file: the last line for a path wins; unwatched and malformed lines are skipped.
    public static func parse(_ text: String) -> [PosFileEntry] {
        var byPath: [String: Int] = [:]
        var entries: [PosFileEntry] = []
        for line in text.split(separator: "\n") {
            guard let entry = PosFileEntry(line: line) else { continue }
            if let index = byPath[entry.path] {
                entries[index] = entry
            } else {
                byPath[entry.path] = entries.count
                entries.append(entry)
            }
        }
        return entries.filter { !$0.isUnwatched }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\r" { s = s.dropLast() }
        return s
    }
}
