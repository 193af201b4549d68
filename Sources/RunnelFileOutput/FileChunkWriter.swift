import Foundation
import NIOPosix
import RunnelBuffer
import RunnelCompression
import RunnelCore
import RunnelFormat

#if canImport(Glibc)
    import Glibc
#endif

/// out_file's `format` and `write`: events are formatted as they are written to the buffer (so
/// each line has its own event's tag, as in Fluentd), and a flush appends the chunk's lines to the
/// file its path template names.
public struct FileChunkWriter: ChunkSender {
    let configuration: FileOutputConfiguration
    /// The path template when chunks are cut by time, and when they are not (as another output's
    /// `<secondary>` whose chunks have no time key; out_file then uses the primary's time key, none).
    let timedTemplate: String?
    let untimedTemplate: String

    /// The key of the one field of a buffered entry that holds its formatted text.
    static let formattedKey = "\u{1}runnel.formatted"

    init(configuration: FileOutputConfiguration, timekey: Int?) throws {
        self.configuration = configuration
        let suffix = configuration.addPathSuffix ? configuration.pathSuffix : ""
        timedTemplate = try timekey.map {
            try FileOutputPath.template(
                configuration.path, timekey: $0, append: configuration.append, gzip: configuration.gzip, pathSuffix: suffix)
        }
        untimedTemplate =
            configuration.path.contains("*")
            ? configuration.path.replacingOccurrences(of: "*", with: configuration.append ? "" : "_**")
                + (configuration.gzip ? ".gz" : "")
            : try FileOutputPath.template(
                configuration.path, timekey: nil, append: configuration.append, gzip: configuration.gzip, pathSuffix: suffix)
    }

    public func entriesToBuffer(tag: String, entries: [UInt8]) throws -> [UInt8]? {
        var formatter = EventFormatter(format: configuration.format, inject: configuration.inject)
        var writer = MessagePackWriter(capacity: entries.count + entries.count / 2 + 64)
        var text: [UInt8] = []
        try MessagePackReader.withReader(entries) { reader in
            while !reader.isAtEnd {
                try reader.readEntry { time, record in
                    text.removeAll(keepingCapacity: true)
                    try formatter.append(tag: tag, time: time, record: record, to: &text)
                    writer.writeArrayHeader(count: 2)
                    writer.write(time)
                    writer.writeMapHeader(count: 1)
                    writer.write(Self.formattedKey)
                    writer.writeBinary(text)
                }
            }
        }
        return writer.bytes
    }

    /// The chunk's text: lines formatted when written, and records another output buffered
    /// (as its `<secondary>`) formatted now with the chunk's tag.
    func text(of chunk: ChunkToSend) throws -> [UInt8] {
        var formatter = EventFormatter(format: configuration.format, inject: configuration.inject)
        var out: [UInt8] = []
        out.reserveCapacity(chunk.entries.count)
        try chunk.forEachPendingEntry { _, time, record in
            var probe = record
            if try probe.readMapHeader() == 1, try probe.peekType() == .string, try probe.readString() == Self.formattedKey,
                try probe.peekType() == .binary
            {
                let range = try probe.readStringOrBinaryRange()
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: probe.bytes[range]))
            } else {
                try formatter.append(tag: chunk.metadata.tag ?? "", time: time, record: record, to: &out)
            }
        }
        return out
    }

    public func send(_ chunk: ChunkToSend) async -> DeliveryResult {
        do {
            let text = try text(of: chunk)
            let template = chunk.metadata.timekey == nil ? untimedTemplate : (timedTemplate ?? untimedTemplate)
            let expanded = chunk.metadata.expand(template)
            try await NIOThreadPool.singleton.runIfActive { try write(text, toTemplate: expanded) }
            return .delivered
        } catch let error as MessagePackError {
            return .rejected(DeliveryError("chunk \(chunk.id) is not valid MessagePack: \(error)", code: "corrupt"))
        } catch {
            return .retry(DeliveryError("out_file could not write: \(error)"))
        }
    }

    /// Appends `text` (one gzip member of it when compressing) to the file, creating its folder.
    func write(_ text: [UInt8], toTemplate expanded: String) throws {
        let directory = (expanded as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileIO.makeDirectories(directory, permission: configuration.dirPermission) }
        let path = configuration.append ? expanded : FileOutputPath.available(expanded)
        let bytes = configuration.gzip ? try Zlib.compress(text) : text
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_t(configuration.filePermission))
        guard fd >= 0 else { throw FileIO.error("open", path) }
        defer { close(fd) }
        try FileIO.writeAll(fd, bytes, path: path)
    }
}
