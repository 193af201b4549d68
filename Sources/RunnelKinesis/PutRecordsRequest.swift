import RunnelCore

/// The JSON body of a PutRecords (Kinesis Data Streams) or PutRecordBatch (Firehose) request,
/// written by hand into a reused buffer, record data base64-encoded straight from the store.
///
/// `{"StreamName":"s","Records":[{"Data":"<base64>","PartitionKey":"k"},...]}`
/// `{"DeliveryStreamName":"s","Records":[{"Data":"<base64>"},...]}`
enum PutRecordsRequest {
    static func writeBody(
        kind: KinesisOutputKind, streamName: String, records: [Int], store: RecordStore, into out: inout [UInt8]
    ) {
        out.removeAll(keepingCapacity: true)
        var estimate = 64 + streamName.utf8.count
        for index in records { estimate += store.records[index].data.count * 4 / 3 + store.records[index].key.count + 40 }
        out.reserveCapacity(estimate)
        out.append(contentsOf: kind == .firehose ? firehosePrefix : streamsPrefix)
        JSONWriter.appendString(streamName, to: &out)
        out.append(contentsOf: recordsOpen)
        store.bytes.withUnsafeBytes { arena in
            for (position, index) in records.enumerated() {
                let record = store.records[index]
                out.append(contentsOf: position == 0 ? dataOpenFirst : dataOpen)
                Base64.append(UnsafeRawBufferPointer(rebasing: arena[record.data]), to: &out)
                out.append(UInt8(ascii: "\""))
                if kind != .firehose {
                    out.append(contentsOf: keyOpen)
                    JSONWriter.appendString(UnsafeRawBufferPointer(rebasing: arena[record.key]), to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(contentsOf: closing)
    }

    static let streamsPrefix = Array(#"{"StreamName":"#.utf8)
    static let firehosePrefix = Array(#"{"DeliveryStreamName":"#.utf8)
    static let recordsOpen = Array(#","Records":["#.utf8)
    static let dataOpenFirst = Array(#"{"Data":""#.utf8)
    static let dataOpen = Array(#",{"Data":""#.utf8)
    static let keyOpen = Array(#","PartitionKey":"#.utf8)
    static let closing = Array("]}".utf8)
}

/// Standard base64 with padding (RFC 4648 section 4), appended to a byte buffer.
enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    static func append(_ input: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let inputCount = input.count
        guard inputCount > 0 else { return }
        let start = out.count
        let outputCount = encodedCount(inputCount)
        out.append(contentsOf: repeatElement(0, count: outputCount))
        out.withUnsafeMutableBufferPointer { buffer in
            alphabet.withUnsafeBufferPointer { table in
                var o = start
                var i = 0
                while i + 3 <= inputCount {
                    let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    buffer[o] = table[Int(value >> 18)]
                    buffer[o + 1] = table[Int(value >> 12 & 63)]
                    buffer[o + 2] = table[Int(value >> 6 & 63)]
                    buffer[o + 3] = table[Int(value & 63)]
                    i += 3
                    o += 4
                }
                let rest = inputCount - i
                if rest > 0 {
                    let value = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                    buffer[o] = table[Int(value >> 18)]
                    buffer[o + 1] = table[Int(value >> 12 & 63)]
                    buffer[o + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                    buffer[o + 3] = UInt8(ascii: "=")
                }
            }
        }
    }
}
