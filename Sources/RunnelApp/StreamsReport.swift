import Foundation
import RunnelCore
import RunnelKinesis

/// What `runnel streams` prints: tables for people, JSON for scripts.
enum StreamsReport {
    static func table(_ names: [String]) -> String {
        names.isEmpty ? "(no streams)" : names.joined(separator: "\n")
    }

    static func json(_ names: [String]) -> String {
        JSONWriter.string(.array(names.map(MessagePackValue.string)))
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Left-aligned columns, two spaces apart.
    static func columns(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        let widths = (0..<width).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `runnel streams describe`.
    struct Description {
        var summary: KinesisStreamReader.StreamSummary
        var shards: [KinesisStreamReader.Shard]
        var consumers: [KinesisStreamReader.Consumer]

        var openShards: [KinesisStreamReader.Shard] { shards.filter(\.isOpen) }

        var table: String {
            var rows: [[String]] = [
                ["Stream", summary.name], ["ARN", summary.arn], ["Status", summary.status], ["Mode", summary.mode],
                ["Shards", "\(summary.openShardCount) open (\(shards.count) listed, \(shards.count - openShards.count) closed)"],
                ["Retention", "\(summary.retentionHours) hours"],
                ["Encryption", summary.encryption + (summary.keyID.map { " (\($0))" } ?? "")],
                ["Consumers", consumers.isEmpty ? "none" : consumers.map { "\($0.name) (\($0.status))" }.joined(separator: ", ")],
            ]
            if let created = summary.created { rows.append(["Created", StreamsReport.time(created)]) }
            var text = StreamsReport.columns(rows) + "\n\nOpen shards:\n"
            let shardRows =
                [["SHARD", "PARENT", "STARTING HASH KEY", "ENDING HASH KEY"]]
                + openShards.map { [$0.id, $0.parentID ?? "-", $0.startingHashKey, $0.endingHashKey] }
            text += StreamsReport.columns(shardRows)
            return text
        }

        var json: String {
            func shard(_ shard: KinesisStreamReader.Shard) -> MessagePackValue {
                var pairs: [(String, MessagePackValue)] = [
                    ("shard_id", .string(shard.id)), ("starting_hash_key", .string(shard.startingHashKey)),
                    ("ending_hash_key", .string(shard.endingHashKey)), ("starting_sequence_number", .string(shard.startingSequenceNumber)),
                    ("open", .bool(shard.isOpen)),
                ]
                if let parent = shard.parentID { pairs.append(("parent_shard_id", .string(parent))) }
                if let adjacent = shard.adjacentParentID { pairs.append(("adjacent_parent_shard_id", .string(adjacent))) }
                if let ending = shard.endingSequenceNumber { pairs.append(("ending_sequence_number", .string(ending))) }
                return .record(pairs)
            }
            var pairs: [(String, MessagePackValue)] = [
                ("stream_name", .string(summary.name)), ("stream_arn", .string(summary.arn)), ("status", .string(summary.status)),
                ("mode", .string(summary.mode)), ("open_shard_count", .int(Int64(summary.openShardCount))),
                ("retention_hours", .int(Int64(summary.retentionHours))), ("encryption", .string(summary.encryption)),
            ]
            if let key = summary.keyID { pairs.append(("key_id", .string(key))) }
            if let created = summary.created { pairs.append(("created", .string(StreamsReport.time(created)))) }
            pairs.append(("shards", .array(shards.map(shard))))
            pairs.append(
                ("consumers", .array(consumers.map { .record(["name": .string($0.name), "status": .string($0.status)]) })))
            return JSONWriter.string(.record(pairs))
        }
    }
}

extension StreamRecord {
    /// The data as text when it is UTF-8, else nil (then it is shown in base64).
    var text: String? { String(validating: data, as: UTF8.self) }

    /// One JSON object: shard, partition key, sequence number (and sub-sequence number inside a
    /// KPL aggregate), arrival time, and `data` (text) or `data_base64`.
    var json: String {
        var pairs: [(String, MessagePackValue)] = [
            ("shard_id", .string(shardID)), ("partition_key", .string(partitionKey)), ("sequence_number", .string(sequenceNumber)),
        ]
        if let subSequenceNumber { pairs.append(("sub_sequence_number", .int(Int64(subSequenceNumber)))) }
        if let explicitHashKey { pairs.append(("explicit_hash_key", .string(explicitHashKey))) }
        if let arrival { pairs.append(("arrival", .string(StreamsReport.time(arrival)))) }
        if let text { pairs.append(("data", .string(text))) } else { pairs.append(("data_base64", .string(Data(data).base64EncodedString()))) }
        return JSONWriter.string(.record(pairs))
    }

    /// One line for people: arrival, shard, partition key, sequence number, then the data.
    var line: String {
        let sequence = sequenceNumber + (subSequenceNumber.map { ":\($0)" } ?? "")
        let shown = text.map { $0.replacingOccurrences(of: "\n", with: "\\n") } ?? "base64:" + Data(data).base64EncodedString()
        return [StreamsReport.time(arrival), shardID, partitionKey, sequence, shown].joined(separator: "  ")
    }
}
