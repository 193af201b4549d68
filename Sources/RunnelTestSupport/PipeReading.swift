import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads from a child's pipe with read(2), retrying EINTR. Foundation's `readDataToEndOfFile` and
/// `availableData` end the process on an interrupted read (a `try!` inside), which a test process
/// with signal handlers and many children meets.
extension FileHandle {
    /// Everything until end of file.
    public func readToEndRetrying() -> Data {
        var data = Data()
        while let chunk = readSomeRetrying(), !chunk.isEmpty { data.append(chunk) }
        return data
    }

    /// What one read(2) returns (empty at end of file), or nil on an error other than EINTR.
    public func readSomeRetrying(_ limit: Int = 65_536) -> Data? {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, limit) }
            if n >= 0 { return Data(buffer[0..<n]) }
            if errno != EINTR { return nil }
        }
    }
}
