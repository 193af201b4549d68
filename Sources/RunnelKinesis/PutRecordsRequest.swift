import RunnelCore

/// The JSON body of a PutRecords (Kinesis Data Streams) or PutRecordBatch (Firehose) request,
/// written by hand into a reused buffer, record data base64-encoded straight from the store.
///
/// `{"StreamName":"s","Records":[{"Data":"<base64>","PartitionKey":"k"},...]}`
/// `{"DeliveryStreamName":"s","Records":[{"Data":"<base64>"},...]}`
enum PutRecordsRequest {
    /// Writes the body through one pointer into space reserved for its largest possible size
    /// (a key escaped in full), then trims: no per-append capacity or uniqueness check, no
    /// zero fill beyond the growth of the reused buffer.
    static func writeBody(
        kind: KinesisOutputKind, streamName: String, records: [Int], store: RecordStore, into out: inout [UInt8]
    ) {
        let streams = kind != .firehose
        var head = streams ? streamsPrefix : firehosePrefix
        JSONWriter.appendString(streamName, to: &head)
        head.append(contentsOf: recordsOpen)
        var bound = head.count + closing.count
        for index in records {
            let record = store.records[index]
            bound += dataOpen.count + Base64.encodedCount(record.data.count) + 2
            if streams { bound += keyOpen.count + record.key.count * 6 + 2 }
        }
        // Only space beyond the last body is zeroed; what the last body left is written over,
        // and the end trimmed.
        if out.count < bound { out.append(contentsOf: repeatElement(0, count: bound - out.count)) }
        let written = out.withUnsafeMutableBytes { body -> Int in
            store.bytes.withUnsafeBytes { arena in
                var cursor = BodyCursor(base: body.baseAddress!)
                cursor.copy(head)
                for (position, index) in records.enumerated() {
                    let record = store.records[index]
                    cursor.copy(position == 0 ? dataOpenFirst : dataOpen)
                    cursor.offset += Base64.encode(UnsafeRawBufferPointer(rebasing: arena[record.data]), into: cursor.pointer)
                    cursor.byte(UInt8(ascii: "\""))
                    if streams {
                        cursor.copy(keyOpen)
                        cursor.jsonString(UnsafeRawBufferPointer(rebasing: arena[record.key]))
                    }
                    cursor.byte(UInt8(ascii: "}"))
                }
                cursor.copy(closing)
                return cursor.offset
            }
        }
        out.removeSubrange(written...)
    }

    /// A write position in a body whose space is already reserved.
    struct BodyCursor {
        let base: UnsafeMutableRawPointer
        var offset = 0

        var pointer: UnsafeMutableRawPointer { base + offset }

        @inline(__always)
        mutating func byte(_ value: UInt8) {
            base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }

        @inline(__always)
        mutating func copy(_ bytes: UnsafeRawBufferPointer) {
            guard let source = bytes.baseAddress else { return }
            (base + offset).copyMemory(from: source, byteCount: bytes.count)
            offset += bytes.count
        }

        @inline(__always)
        mutating func copy(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { copy($0) }
        }

        /// A JSON string: the bytes as they are when none needs escaping (random and most
        /// field keys), else escaped as `JSONWriter.appendString` does.
        mutating func jsonString(_ bytes: UnsafeRawBufferPointer) {
            if !JSONWriter.needsEscape(bytes) {
                byte(UInt8(ascii: "\""))
                copy(bytes)
                byte(UInt8(ascii: "\""))
                return
            }
            var escaped: [UInt8] = []
            JSONWriter.appendString(bytes, to: &escaped)
            copy(escaped)
        }
    }

    static let streamsPrefix = Array(#"{"StreamName":"#.utf8)
    static let firehosePrefix = Array(#"{"DeliveryStreamName":"#.utf8)
    static let recordsOpen = Array(#","Records":["#.utf8)
    static let dataOpenFirst = Array(#"{"Data":""#.utf8)
    static let dataOpen = Array(#",{"Data":""#.utf8)
    static let keyOpen = Array(#","PartitionKey":"#.utf8)
    static let closing = Array("]}".utf8)
}

/// Standard base64 with padding (RFC 4648 section 4).
enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the encoding of `input` at `output` (which has room for `encodedCount`); returns
    /// how many bytes it wrote. Six input bytes become eight characters per step, stored at once.
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer) -> Int {
        let inputCount = input.count
        guard inputCount > 0 else { return 0 }
        return alphabet.withUnsafeBufferPointer { table in
            var o = 0
            var i = 0
            while i + 8 <= inputCount {
                let word = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                var characters: UInt64 = 0
                for k in 0..<8 {
                    characters |= UInt64(table[Int(truncatingIfNeeded: word >> UInt64(58 - 6 * k)) & 63]) << UInt64(8 * k)
                }
                output.storeBytes(of: characters.littleEndian, toByteOffset: o, as: UInt64.self)
                i += 6
                o += 8
            }
            while i + 3 <= inputCount {
                let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                output.storeBytes(of: table[Int(value >> 18)], toByteOffset: o, as: UInt8.self)
                output.storeBytes(of: table[Int(value >> 12 & 63)], toByteOffset: o + 1, as: UInt8.self)
                output.storeBytes(of: table[Int(value >> 6 & 63)], toByteOffset: o + 2, as: UInt8.self)
                output.storeBytes(of: table[Int(value & 63)], toByteOffset: o + 3, as: UInt8.self)
                i += 3
                o += 4
            }
            let rest = inputCount - i
            if rest > 0 {
                let value = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                output.storeBytes(of: table[Int(value >> 18)], toByteOffset: o, as: UInt8.self)
                output.storeBytes(of: table[Int(value >> 12 & 63)], toByteOffset: o + 1, as: UInt8.self)
                output.storeBytes(of: rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "="), toByteOffset: o + 2, as: UInt8.self)
                output.storeBytes(of: UInt8(ascii: "="), toByteOffset: o + 3, as: UInt8.self)
                o += 4
            }
            return o
        }
    }
}
