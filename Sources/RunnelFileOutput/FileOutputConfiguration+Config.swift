import RunnelConfig
import RunnelFormat

/// Reads `<match> @type file`, with out_file's names and defaults (lib/fluent/plugin/out_file.rb):
///
/// | key | type | default | Fluentd |
/// |---|---|---|---|
/// | `path` | string | required | same: `*` becomes the time slice, else `.%Y%m%d` (by `timekey`) is added |
/// | `append` | bool | false | same: without it each flush writes a new file `_0`, `_1`, ... |
/// | `add_path_suffix` | bool | true | same |
/// | `path_suffix` | string | `.log` | same |
/// | `compress` | `text`, `gz`, `gzip` | text | same (`.gz` added); `zstd` is not in this build |
/// | `recompress` | bool | false | accepted: chunks are always written from their entries |
/// | `symlink_path`, `symlink_path_use_relative` | | | not supported: an error |
/// | `<format>` | section | `@type out_file` | same formatters as every output |
/// | `<inject>` | section | none | same |
/// | `<buffer>` | section | `@type file`, chunk key `time`, `timekey 1d`, `path` from `path` | same |
extension FileOutputConfiguration {
    public init(from element: ConfigElement) throws {
        self.init(path: try element.requiredString("path"))
        addPathSuffix = try element.bool("add_path_suffix", default: true)
        pathSuffix = element.string("path_suffix", default: ".log")
        append = try element.bool("append", default: false)
        if element.string("compress") == "zstd" {
            throw element.rejected("compress", "zstd is not available in this build; use gzip")
        }
        compress = try element.enumeration("compress", default: Compression.text)
        _ = try element.bool("recompress", default: false)
        for key in ["symlink_path", "symlink_path_use_relative"] where element.has(key) {
            throw element.rejected(key, "is not supported by Runnel's out_file")
        }
        if let section = element.element(named: "format") { format = try FormatConfiguration(from: section, defaultKind: .outFile) }
        if let section = element.element(named: "inject") {
            let parsed = try InjectConfiguration(from: section)
            inject = parsed.isEmpty ? nil : parsed
        }
    }
}
