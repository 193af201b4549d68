/// Appends MessagePack-encoded values to a byte array, always choosing the smallest encoding.
///
/// Implements the MessagePack specification (msgpack/spec.md). It writes into one reusable
/// `[UInt8]` so that hot paths build whole batches without temporary objects.
public struct MessagePackWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

    public mutating func writeNil() { bytes.append(0xc0) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 0xc3 : 0xc2) }

    public mutating func write(_ value: Int) { write(Int64(value)) }

    public mutating func write(_ value: Int64) {
        if value >= 0 {
            write(UInt64(value))
        } else if value >= -32 {
            bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int8.min) {
            bytes.append(0xd0)
            bytes.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int16.min) {
            bytes.append(0xd1)
            appendBigEndian(UInt16(bitPattern: Int16(value)))
        } else if value >= Int64(Int32.min) {
            bytes.append(0xd2)
            appendBigEndian(UInt32(bitPattern: Int32(value)))
        } else {
            bytes.append(0xd3)
            appendBigEndian(UInt64(bitPattern: value))
        }
    }

    public mutating func write(_ value: UInt64) {
        if value <= 0x7f {
            bytes.append(UInt8(value))
        } else if value <= UInt64(UInt8.max) {
            bytes.append(0xcc)
            bytes.append(UInt8(value))
        } else if value <= UInt64(UInt16.max) {
            bytes.append(0xcd)
            appendBigEndian(UInt16(value))
        } else if value <= UInt64(UInt32.max) {
            bytes.append(0xce)
            appendBigEndian(UInt32(value))
        } else {
            bytes.append(0xcf)
            appendBigEndian(value)
        }
    }

    public mutating func write(_ value: Float) {
        bytes.append(0xca)
        appendBigEndian(value.bitPattern)
    }

    public mutating func write(_ value: Double) {
        bytes.append(0xcb)
        appendBigEndian(value.bitPattern)
    }

    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { writeString(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes a str whose UTF-8 bytes are given (not validated here).
    public mutating func writeString(utf8: UnsafeRawBufferPointer) {
        writeStringHeader(count: utf8.count)
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeString<C: Collection>(utf8: C) where C.Element == UInt8 {
        writeStringHeader(count: utf8.count)
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeStringHeader(count: Int) {
        if count <= 31 {
            bytes.append(0xa0 | UInt8(count))
        } else if count <= Int(UInt8.max) {
            bytes.append(0xd9)
            bytes.append(UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(0xda)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xdb)
            appendBigEndian(UInt32(count))
        }
    }

    public mutating func writeBinary<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeBinaryHeader(count: data.count)
        bytes.append(contentsOf: data)
    }

    public mutating func writeBinaryHeader(count: Int) {
        if count <= Int(UInt8.max) {
            bytes.append(0xc4)
            bytes.append(UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(0xc5)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xc6)
            appendBigEndian(UInt32(count))
        }
    }

    public mutating func writeArrayHeader(count: Int) {
        if count <= 15 {
            bytes.append(0x90 | UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(0xdc)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xdd)
            appendBigEndian(UInt32(count))
        }
    }

    public mutating func writeMapHeader(count: Int) {
        if count <= 15 {
            bytes.append(0x80 | UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(0xde)
            appendBigEndian(UInt16(count))
        } else {
            bytes.append(0xdf)
            appendBigEndian(UInt32(count))
        }
    }

    public mutating func writeExtension<C: Collection>(type: Int8, data: C) where C.Element == UInt8 {
        let t = UInt8(bitPattern: type)
        switch data.count {
        case 1: bytes.append(0xd4); bytes.append(t)
        case 2: bytes.append(0xd5); bytes.append(t)
        case 4: bytes.append(0xd6); bytes.append(t)
        case 8: bytes.append(0xd7); bytes.append(t)
        case 16: bytes.append(0xd8); bytes.append(t)
        case let n where n <= Int(UInt8.max):
            bytes.append(0xc7); bytes.append(UInt8(n)); bytes.append(t)
        case let n where n <= Int(UInt16.max):
            bytes.append(0xc8); appendBigEndian(UInt16(n)); bytes.append(t)
        case let n:
            bytes.append(0xc9); appendBigEndian(UInt32(n)); bytes.append(t)
        }
        bytes.append(contentsOf: data)
    }

    /// Writes Fluentd's EventTime extension (type 0, fixext 8).
    public mutating func write(_ time: EventTime) {
        bytes.append(0xd7)
        bytes.append(UInt8(bitPattern: EventTime.extensionType))
        appendBigEndian(time.seconds)
        appendBigEndian(time.nanoseconds)
    }

    /// Appends bytes that already are one or more encoded MessagePack values.
    public mutating func writeRaw<C: Collection>(_ encoded: C) where C.Element == UInt8 {
        bytes.append(contentsOf: encoded)
    }

    public mutating func writeRaw(_ encoded: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: encoded)
    }

    public mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil: writeNil()
        case .bool(let b): write(b)
        case .int(let i): write(i)
        case .uint(let u): write(u)
        case .float(let f): write(f)
        case .double(let d): write(d)
        case .string(let s): write(s)
        case .binary(let b): writeBinary(b)
        case .array(let elements):
            writeArrayHeader(count: elements.count)
            for element in elements { write(element) }
        case .map(let pairs):
            writeMapHeader(count: pairs.count)
            for pair in pairs {
                write(pair.key)
                write(pair.value)
            }
        case .extension(let type, let data): writeExtension(type: type, data: data)
        }
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
