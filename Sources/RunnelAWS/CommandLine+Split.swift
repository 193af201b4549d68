/// Splits a command line into arguments the way a POSIX shell would quote them, without a
/// shell: whitespace separates, '...' is literal, "..." allows \" \\ \$ \`, a backslash outside
/// quotes escapes the next character. botocore uses `shlex.split` for `credential_process`.
enum CommandLineSplitter {
    enum Failure: Error, Equatable { case unterminatedQuote, trailingBackslash }

    static func split(_ line: String) throws -> [String] {
        var arguments: [String] = []
        var current = ""
        var inArgument = false
        var iterator = Array(line).makeIterator()
        while let ch = iterator.next() {
            switch ch {
            case " ", "\t", "\n", "\r":
                if inArgument { arguments.append(current); current = ""; inArgument = false }
            case "'":
                inArgument = true
                var closed = false
                while let next = iterator.next() {
                    if next == "'" { closed = true; break }
                    current.append(next)
                }
                if !closed { throw Failure.unterminatedQuote }
            case "\"":
                inArgument = true
                var closed = false
                while let next = iterator.next() {
                    if next == "\"" { closed = true; break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { throw Failure.unterminatedQuote }
                        if !"\"\\$`".contains(escaped) { current.append("\\") }
                        current.append(escaped)
                        continue
                    }
                    current.append(next)
                }
                if !closed { throw Failure.unterminatedQuote }
            case "\\":
                guard let escaped = iterator.next() else { throw Failure.trailingBackslash }
                inArgument = true
                current.append(escaped)
            default:
                inArgument = true
                current.append(ch)
            }
        }
        if inArgument { arguments.append(current) }
        return arguments
    }
}
