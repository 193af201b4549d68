import RunnelCompression
import NIOPosix
import RunnelConfig
import RunnelCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `<secondary> @type secondary_file`: writes a chunk whose retries ran out to a local file, as
/// Fluentd's out_secondary_file does (the chunk's MessagePack entries as they are).
///
/// | key | default | meaning |
/// |---|---|---|
/// | `directory` | required | where files go (placeholders allowed) |
/// | `basename` | `dump.bin` | file name (placeholders allowed) |
/// | `append` | false | append to one file instead of `basename.N` per chunk |
/// | `compress` | text | `gzip` writes gzip (`.gz` added) |
struct SecondaryFileWriter: ChunkSender {
    enum Compression: String, CaseIterable, Sendable { case text, gzip }

    let directory: String
    let basename: String
    let append: Bool
    let compress: Compression
    var filePermission: UInt16 = 0o644

    init(element: ConfigElement, chunkKeys: ChunkKeys, pluginName: String, filePermission: UInt16 = 0o644) throws {
        self.filePermission = filePermission
        directory = try element.requiredString("directory")
        basename = element.string("basename", default: "dump.bin")
        append = try element.bool("append", default: false)
        compress = try element.enumeration("compress", default: Compression.text)
        for (key, value) in [("directory", directory), ("basename", basename)] {
            try chunkKeys.validate(template: value, parameter: key)
        }
    }

    init(directory: String, basename: String = "dump.bin", append: Bool = false, compress: Compression = .text) {
        self.directory = directory
        self.basename = basename
        self.append = append
        self.compress = compress
    }

    func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        var pending: [UInt8] = []
        pending.reserveCapacity(chunk.entries.count)
        do {
            try chunk.forEachPendingEntryBytes { _, bytes in pending.append(contentsOf: bytes) }
            let bytes = compress == .gzip ? try Zlib.compress(pending) : pending
            let directory = chunk.metadata.expand(self.directory)
            let base = chunk.metadata.expand(basename) + (compress == .gzip ? ".gz" : "")
            try await NIOThreadPool.singleton.runIfActive { [append, filePermission] in
                try FileIO.makeDirectories(directory, permission: 0o755)
                var path = directory + "/" + base
                if !append {
                    var n = 0
                    while FileIO.exists("\(path).\(n)") { n += 1 }
                    path = "\(path).\(n)"
                }
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_t(filePermission))
                guard fd >= 0 else { throw FileIO.error("open", path) }
                defer { close(fd) }
                try FileIO.writeAll(fd, bytes, path: path)
                if fsync(fd) != 0 { throw FileIO.error("fsync", path) }
            }
            return .delivered
        } catch {
            return .retry(DeliveryError("secondary_file could not write: \(error)"))
        }
    }

}
