import Foundation

/// Appends JSON lines to a file at a rate and rotates it the way logrotate's `create` mode does
/// (rename to `PATH.1`, then a new file), for tail benchmarks and soak runs.
struct FileLoad {
    var options: LoadgenOptions

    func run(path: String) throws -> (lines: Int, bytes: Int, seconds: Double) {
        let padding = String(repeating: "x", count: max(8, options.recordSize - 60))
        var handle = try FileLoad.open(path)
        var linesInFile = 0
        var bytes = 0
        let start = Date()
        var buffer = ""
        buffer.reserveCapacity(1 << 16)
        for index in 0..<options.events {
            let sequence = options.sequenceStart + index
            buffer += "{\"seq\":\(sequence),\"level\":\"info\",\"service\":\"loadgen\",\"message\":\"\(padding)\"}\n"
            linesInFile += 1
            let rotateNow = options.rotateEvery > 0 && linesInFile >= options.rotateEvery
            if buffer.utf8.count >= 1 << 16 || rotateNow || index == options.events - 1 {
                bytes += buffer.utf8.count
                handle.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
            if rotateNow {
                try handle.close()
                let rotated = path + ".1"
                try? FileManager.default.removeItem(atPath: rotated)
                try FileManager.default.moveItem(atPath: path, toPath: rotated)
                handle = try FileLoad.open(path)
                linesInFile = 0
            }
            if options.rate > 0 {
                let due = Double(index + 1) / Double(options.rate)
                let elapsed = Date().timeIntervalSince(start)
                if due > elapsed + 0.01 { usleep(useconds_t((due - elapsed) * 1_000_000)) }
            }
        }
        try handle.close()
        return (options.events, bytes, Date().timeIntervalSince(start))
    }

    static func open(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw LoadgenError("cannot write \(path)") }
        handle.seekToEndOfFile()
        return handle
    }
}
