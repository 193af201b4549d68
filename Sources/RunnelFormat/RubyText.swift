import RunnelCore

/// Ruby's `to_s` and `inspect` of decoded MessagePack values, as Fluentd's text formatters print them.
public enum RubyText {
    /// Ruby's `to_s` of a record value: strings as they are, nil empty, numbers in decimal,
    /// hashes and arrays inspected.
    public static func toS(_ value: MessagePackValue?) -> String {
        guard let value else { return "" }
        switch value {
        case .nil: return ""
        case .string(let s): return s
        case .binary(let b): return String(decoding: b, as: UTF8.self)
        default:
            var writer = MessagePackWriter()
            writer.write(value)
            var out: [UInt8] = []
            MessagePackReader.withReader(writer.bytes) { reader in
                try? appendToS(from: &reader, to: &out)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `value.to_s`: strings as they are, numbers in decimal, nil empty, hashes and arrays inspected.
    public static func appendToS(from reader: inout MessagePackReader, to out: inout [UInt8]) throws {
        switch try reader.peekType() {
        case .string, .binary:
            let range = try reader.readStringOrBinaryRange()
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[range]))
        case .nil:
            try reader.readNil()
        case .map, .array:
            try appendInspect(from: &reader, to: &out)
        case .float, .double:
            appendFloat(try reader.readDouble(), to: &out)
        default:
            try JSONWriter.appendValue(from: &reader, to: &out)
        }
    }

    /// `Float#to_s`, and `inspect` alike: `NaN`, `Infinity`, `-Infinity` for the values JSON has no name for.
    public static func appendFloat(_ value: Double, to out: inout [UInt8]) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            out.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            JSONWriter.appendRubyFloat(value, to: &out)
        }
    }

    /// `value.inspect` (Ruby before 3.4): `{"a"=>1, "b"=>[nil, true]}`.
    public static func appendInspect(from reader: inout MessagePackReader, to out: inout [UInt8], depth: Int = 0) throws {
        guard depth <= reader.maxDepth else { throw MessagePackError.nestingTooDeep(limit: reader.maxDepth, offset: reader.offset) }
        switch try reader.peekType() {
        case .nil:
            try reader.readNil()
            out.append(contentsOf: "nil".utf8)
        case .string, .binary:
            let range = try reader.readStringOrBinaryRange()
            appendQuoted(UnsafeRawBufferPointer(rebasing: reader.bytes[range]), to: &out)
        case .map:
            let count = try reader.readMapHeader()
            out.append(UInt8(ascii: "{"))
            for index in 0..<count {
                if index > 0 { out.append(contentsOf: ", ".utf8) }
                try appendInspect(from: &reader, to: &out, depth: depth + 1)
                out.append(contentsOf: "=>".utf8)
                try appendInspect(from: &reader, to: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        case .array:
            let count = try reader.readArrayHeader()
            out.append(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { out.append(contentsOf: ", ".utf8) }
                try appendInspect(from: &reader, to: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .float, .double:
            appendFloat(try reader.readDouble(), to: &out)
        default:
            try JSONWriter.appendValue(from: &reader, to: &out)
        }
    }

    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in bytes {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x1b: out.append(contentsOf: [0x5c, UInt8(ascii: "e")])
            case 0x23:
                out.append(0x23)  // Ruby escapes only "#{", "#$", "#@"; kept simple.
            case 0..<0x20, 0x7f:
                out.append(contentsOf: "\\x".utf8)
                out.append(contentsOf: Array("0123456789ABCDEF".utf8)[Int(byte >> 4)...Int(byte >> 4)])
                out.append(contentsOf: Array("0123456789ABCDEF".utf8)[Int(byte & 15)...Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
