import Foundation

/// out_file's path template (`generate_path_template` in out_file.rb) and the choice of a free
/// file for a flush (`find_filepath_available`).
enum FileOutputPath {
    /// `/dir/file.*` -> `/dir/file.%Y%m%d_**`, `/dir/file` -> `/dir/file.%Y%m%d_**.log`; no `_**`
    /// with `append`; `.gz` when compressed. `timekey` nil: no time part.
    static func template(_ path: String, timekey: Int?, append: Bool, gzip: Bool, pathSuffix: String) throws -> String {
        let compression = gzip ? ".gz" : ""
        let index = append ? "" : "_**"
        if path.contains("*") {
            guard let timekey else { throw FileOutputError.starWithoutTime }
            return path.replacingOccurrences(of: "*", with: timeFormat(timekey) + index) + compression
        }
        guard let timekey else { return path + index + pathSuffix + compression }
        let placeholders = timeFormat(timekey)
        let parts = stride(from: 0, to: placeholders.count, by: 2).map {
            String(placeholders.dropFirst($0).prefix(2))
        }
        if parts.contains(where: path.contains) {
            guard parts.allSatisfy(path.contains) else { throw FileOutputError.insufficientTimePlaceholders(placeholders) }
            return path + index + pathSuffix + compression
        }
        return path + "." + placeholders + index + pathSuffix + compression
    }

    /// out_file's `timekey_to_timeformat`.
    static func timeFormat(_ timekey: Int) -> String {
        switch timekey {
        case ..<60: return "%Y%m%d%H%M%S"
        case 60..<3600: return "%Y%m%d%H%M"
        case 3600..<86400: return "%Y%m%d%H"
        default: return "%Y%m%d"
        }
    }

    /// The first of `_0`, `_1`, ... in place of `_**` that names no file yet.
    static func available(_ expanded: String) -> String {
        guard expanded.contains("_**") else { return expanded }
        var index = 0
        while true {
            let candidate = expanded.replacingOccurrences(of: "_**", with: "_\(index)")
            if !FileManager.default.fileExists(atPath: candidate) { return candidate }
            index += 1
        }
    }
}

/// What is wrong with an out_file configuration or write.
public enum FileOutputError: Error, CustomStringConvertible, Equatable {
    case starWithoutTime
    case insufficientTimePlaceholders(String)

    public var description: String {
        switch self {
        case .starWithoutTime: return "path including '*' must be used with buffer chunk key 'time'"
        case .insufficientTimePlaceholders(let needed): return "insufficient timestamp placeholders in path (needs \(needed))"
        }
    }
}
