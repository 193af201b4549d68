import Foundation

// runnel-loadgen: Forward load (PackedForward over N connections, optional acks and rate) or
// file load (lines appended and rotated). Prints one JSON line with what it did.
do {
    let options = try LoadgenOptions.parse(Array(CommandLine.arguments.dropFirst()))
    if let path = options.filePath {
        let result = try FileLoad(options: options).run(path: path)
        print(
            "{\"mode\":\"file\",\"lines\":\(result.lines),\"bytes\":\(result.bytes),\"seconds\":\(String(format: "%.3f", result.seconds)),"
                + "\"lines_per_second\":\(String(format: "%.0f", Double(result.lines) / result.seconds))}")
    } else {
        let (totals, seconds) = try ForwardLoad(options: options).run()
        print(
            "{\"mode\":\"forward\",\"sent\":\(totals.sent),\"acknowledged\":\(totals.acknowledged),\"bytes\":\(totals.bytes),"
                + "\"seconds\":\(String(format: "%.3f", seconds)),\"events_per_second\":\(String(format: "%.0f", Double(totals.sent) / seconds)),"
                + "\"megabytes_per_second\":\(String(format: "%.1f", Double(totals.bytes) / seconds / 1_048_576)),\"errors\":\(totals.errors.count)}")
        for error in totals.errors { FileHandle.standardError.write(Data("runnel-loadgen: \(error)\n".utf8)) }
        if !totals.errors.isEmpty { exit(1) }
    }
} catch {
    FileHandle.standardError.write(Data("runnel-loadgen: \(error)\n".utf8))
    exit(2)
}
