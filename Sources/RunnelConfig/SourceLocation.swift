/// Where something was written in a configuration file: file, line and column (1-based).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// For trees built in code rather than read from a file.
    public static let synthesized = SourceLocation(file: "<config>", line: 0, column: 0)

    public var description: String { "\(file):\(line)" + (column > 1 ? ":\(column)" : "") }
}
