import RunnelCore

extension EventFormatter {
    /// The `<format>` formatters, as Fluentd's built-in formatter plugins write them.
    func appendFormatted(tag: String, time: EventTime, record: MessagePackReader, to out: inout [UInt8]) throws {
        var reader = record
        switch format.kind {
        case .json:
            try JSONWriter.appendValue(from: &reader, to: &out)
            if format.addNewline { out.append(0x0a) }
        case .msgpack:
            let range = try reader.skipValueRange()
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[range]))
        case .singleValue:
            if try RecordAccessor.seekKey(format.messageKey, in: &reader) {
                try RubyText.appendToS(from: &reader, to: &out)
            }
            if format.addNewline { out.append(0x0a) }
        case .hash:
            try RubyText.appendInspect(from: &reader, to: &out)
            if format.addNewline { out.append(0x0a) }
        case .ltsv:
            let count = try reader.readMapHeader()
            for index in 0..<count {
                if index > 0 { out.append(contentsOf: format.delimiter) }
                try RubyText.appendToS(from: &reader, to: &out)
                out.append(contentsOf: format.labelDelimiter)
                try RubyText.appendToS(from: &reader, to: &out)
            }
            if format.addNewline { out.append(0x0a) }
        case .csv:
            try appendCSV(record: record, to: &out)
            if format.addNewline { out.append(0x0a) }
        case .tsv:
            // formatter_tsv.rb: `@keys.map { |k| record[k].to_s }.join(@delimiter)`.
            for (index, key) in format.fields.enumerated() {
                if index > 0 { out.append(contentsOf: format.delimiter) }
                var value = record
                if try RecordAccessor.seekKey(key, in: &value) { try RubyText.appendToS(from: &value, to: &out) }
            }
            if format.addNewline { out.append(0x0a) }
        case .outFile:
            if format.outputTime {
                format.outFileTime.append(time, to: &out)
                out.append(contentsOf: format.delimiter)
            }
            if format.outputTag {
                out.append(contentsOf: tag.utf8)
                out.append(contentsOf: format.delimiter)
            }
            try JSONWriter.appendValue(from: &reader, to: &out)
            if format.addNewline { out.append(0x0a) }
        }
    }

    /// Ruby's `CSV.generate_line(fields.map { record[_1] }, col_sep:, force_quotes:)` without its newline.
    func appendCSV(record: MessagePackReader, to out: inout [UInt8]) throws {
        var field: [UInt8] = []
        for (index, key) in format.fields.enumerated() {
            if index > 0 { out.append(contentsOf: format.delimiter) }
            field.removeAll(keepingCapacity: true)
            var reader = record
            var present = false
            if try RecordAccessor.seekKey(key, in: &reader), try reader.peekType() != .nil {
                present = true
                try RubyText.appendToS(from: &reader, to: &field)
            }
            let needsQuotes =
                format.forceQuotes
                || (present && field.isEmpty)
                || field.contains { $0 == 0x22 || $0 == 0x0a || $0 == 0x0d }
                || (!format.delimiter.isEmpty && EventFormatter.contains(field, format.delimiter))
            if needsQuotes {
                out.append(0x22)
                for byte in field {
                    if byte == 0x22 { out.append(0x22) }
                    out.append(byte)
                }
                out.append(0x22)
            } else {
                out.append(contentsOf: field)
            }
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.count == 1 { return haystack.contains(needle[0]) }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
