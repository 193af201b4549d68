import RunnelCore

/// The option map of a message (spec: "Option"): `size`, `chunk`, `compressed`; other keys are ignored.
struct ForwardOption: Sendable, Equatable {
    var size: Int?
    var chunk: String?
    var compressed: String?

    init(size: Int? = nil, chunk: String? = nil, compressed: String? = nil) {
        self.size = size
        self.chunk = chunk
        self.compressed = compressed
    }

    init(reading reader: inout MessagePackReader) throws {
        if try reader.readNilIfPresent() { return }
        let pairs = try reader.readMapHeader()
        for _ in 0..<pairs {
            guard try reader.peekType() == .string else {
                try reader.skipValue()
                try reader.skipValue()
                continue
            }
            switch try reader.readString() {
            case "size":
                guard let value = try? reader.readInt(), value >= 0 else {
                    throw ForwardError(.malformedFrame("option size is not a non-negative integer"))
                }
                size = Int(value)
            case "chunk":
                let range = try reader.readStringOrBinaryRange()
                chunk = String(decoding: UnsafeRawBufferPointer(rebasing: reader.bytes[range]), as: UTF8.self)
            case "compressed":
                compressed = try reader.readString()
            default:
                try reader.skipValue()
            }
        }
    }

    func check(count: Int) throws {
        if let size, size != count { throw ForwardError(.sizeMismatch(declared: size, actual: count)) }
    }
}
