/// Finds where one top-level MessagePack value ends in a growing buffer, resuming where the
/// previous call stopped, so a message that arrives byte by byte is scanned once in total.
///
/// It never allocates more than its small depth stack, and rejects a declared length or element
/// count that would take the value past `limit` as soon as the header is seen, before any
/// payload arrives.
public struct MessagePackFrameScanner: Sendable {
    public enum Result: Sendable, Equatable {
        /// The value occupies the first `length` bytes; the scanner is ready for the next value.
        case complete(length: Int)
        case needMoreData
    }

    /// The largest value, in bytes, that may be scanned.
    public let limit: Int
    public let maxDepth: Int
    /// Bytes of the current value already scanned.
    public private(set) var scanned = 0
    /// Values still to be read at each open nesting level (the bottom is the top-level value).
    private var pending: [Int] = [1]

    public init(limit: Int, maxDepth: Int = 64) {
        self.limit = limit
        self.maxDepth = maxDepth
        pending.reserveCapacity(8)
    }

    /// True once the current value has at least one byte scanned.
    public var isInsideValue: Bool { scanned > 0 }

    public mutating func reset() {
        scanned = 0
        pending.removeAll(keepingCapacity: true)
        pending.append(1)
    }

    /// Continues scanning `bytes`, which start at the first byte of the current value and hold
    /// at least as many bytes as the previous call saw.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(ForwardError) -> Result {
        let count = bytes.count
        var offset = scanned
        defer { scanned = offset }
        while true {
            while let last = pending.last, last == 0 { pending.removeLast() }
            if pending.isEmpty {
                let length = offset
                offset = 0
                pending.append(1)
                return .complete(length: length)
            }
            guard offset < count else { return .needMoreData }
            let b = bytes[offset]
            var header = 1
            var payload = 0
            var children = 0
            // Header sizes and how long their length fields are (MessagePack spec, "formats").
            var lengthBytes = 0
            switch b {
            case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: break
            case 0x80...0x8f: children = Int(b & 0x0f) * 2
            case 0x90...0x9f: children = Int(b & 0x0f)
            case 0xa0...0xbf: payload = Int(b & 0x1f)
            case 0xc4, 0xd9: header = 2; lengthBytes = 1
            case 0xc5, 0xda: header = 3; lengthBytes = 2
            case 0xc6, 0xdb: header = 5; lengthBytes = 4
            case 0xc7: header = 3; lengthBytes = 1
            case 0xc8: header = 4; lengthBytes = 2
            case 0xc9: header = 6; lengthBytes = 4
            case 0xca: payload = 4
            case 0xcb: payload = 8
            case 0xcc, 0xd0: payload = 1
            case 0xcd, 0xd1: payload = 2
            case 0xce, 0xd2: payload = 4
            case 0xcf, 0xd3: payload = 8
            case 0xd4: payload = 2
            case 0xd5: payload = 3
            case 0xd6: payload = 5
            case 0xd7: payload = 9
            case 0xd8: payload = 17
            case 0xdc, 0xde: header = 3; lengthBytes = 2
            case 0xdd, 0xdf: header = 5; lengthBytes = 4
            default:
                throw ForwardError(.malformedFrame("byte 0x\(String(b, radix: 16)) at \(offset) is not MessagePack"))
            }
            if lengthBytes > 0 {
                guard offset + header <= count else {
                    try checkLimit(offset + header)
                    return .needMoreData
                }
                var length = 0
                for index in 1...lengthBytes { length = length << 8 | Int(bytes[offset + index]) }
                switch b {
                case 0xdc, 0xdd: children = length
                case 0xde, 0xdf: children = length * 2
                default: payload = length
                }
            }
            let end = offset + header + payload
            try checkLimit(end)
            // Every child takes at least one byte: a count that cannot fit is rejected now.
            if children > 0 { try checkLimit(end + children) }
            guard end <= count else { return .needMoreData }
            offset = end
            pending[pending.count - 1] -= 1
            if children > 0 {
                guard pending.count <= maxDepth else {
                    throw ForwardError(.malformedFrame("nesting deeper than \(maxDepth) at byte \(offset)"))
                }
                pending.append(children)
            }
        }
    }

    @inline(__always)
    private func checkLimit(_ size: Int) throws(ForwardError) {
        guard size <= limit else { throw ForwardError(.frameTooLarge(size: size, limit: limit)) }
    }
}
