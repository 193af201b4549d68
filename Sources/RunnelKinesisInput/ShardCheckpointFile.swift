import Foundation
import RunnelBuffer
import RunnelCore

/// Where each shard of a stream was left: the last sequence number whose records are in every
/// buffer they were routed to, and the shards read to their end. Kept in a JSON file written as a
/// pos_file is, to a temporary name, fsynced, then renamed over the old one, so a crash leaves
/// the old checkpoints or the new ones, never half of either.
///
/// ```json
/// {"stream":"orders","shards":{"shardId-000000000000":"4963...","shardId-000000000001":"4963..."},"finished":["shardId-000000000002"]}
/// ```
public struct ShardCheckpoints: Sendable, Equatable {
    public var stream: String
    public var sequenceNumbers: [String: String] = [:]
    public var finished: Set<String> = []

    public init(stream: String) { self.stream = stream }

    var json: [UInt8] {
        let shards = sequenceNumbers.sorted { $0.key < $1.key }.map { MessagePackPair(key: .string($0.key), value: .string($0.value)) }
        var out: [UInt8] = []
        JSONWriter.append(
            .map([
                MessagePackPair(key: "stream", value: .string(stream)), MessagePackPair(key: "shards", value: .map(shards)),
                MessagePackPair(key: "finished", value: .array(finished.sorted().map(MessagePackValue.string))),
            ]), to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    init(json: [UInt8]) throws {
        let object = try JSONReader.decode(json)
        guard let stream = object["stream"]?.stringValue, let shards = object["shards"]?.mapValue else {
            throw CheckpointError("not a checkpoint file (no stream or shards)")
        }
        self.init(stream: stream)
        for pair in shards {
            if let shard = pair.key.stringValue, let sequence = pair.value.stringValue { sequenceNumbers[shard] = sequence }
        }
        if case .array(let done)? = object["finished"] { finished = Set(done.compactMap(\.stringValue)) }
    }
}

/// A problem with a source's checkpoints or its stream, in words.
struct CheckpointError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The checkpoint file of one `<source>`.
public struct ShardCheckpointFile: Sendable {
    public let path: String
    /// `<system> file_permission`.
    public let permission: UInt16

    public init(path: String, permission: UInt16 = 0o644) {
        self.path = path
        self.permission = permission
    }

    /// The checkpoints kept for `stream`; none when there is no file yet. A file for another stream
    /// (the configuration changed) is not used: its shards are not this stream's.
    public func load(stream: String) throws -> ShardCheckpoints? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let checkpoints: ShardCheckpoints
        do {
            checkpoints = try ShardCheckpoints(json: Array(data))
        } catch {
            throw CheckpointError("checkpoint file \(path) is unreadable: \(error)")
        }
        return checkpoints.stream == stream ? checkpoints : nil
    }

    public func save(_ checkpoints: ShardCheckpoints) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try FileIO.atomicWrite(checkpoints.json, to: path, permission: permission, sync: true)
    }
}
