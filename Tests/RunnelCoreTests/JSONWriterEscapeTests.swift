import Testing

@testable import RunnelCore

/// The eight-bytes-at-a-time scan of JSON string escaping agrees with the byte-by-byte rule at
/// every position of every byte value.
struct JSONWriterEscapeTests {
    static func reference(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte >= 0x80
    }

    @Test func theWordCheckFindsEveryByteThatNeedsEscaping() {
        for value in 0...255 {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(JSONWriter.needsEscape(word) == Self.reference(UInt8(value)), "byte \(value) at \(position)")
            }
        }
        // Neighbours of the limits next to each other (borrows between bytes).
        let edges: [UInt8] = [0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0x00, 0x01]
        for first in edges {
            for second in edges {
                let bytes: [UInt8] = [first, second, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46]
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(JSONWriter.needsEscape(word) == (Self.reference(first) || Self.reference(second)))
            }
        }
    }

    @Test func escapedStringsAreTheSameWhateverTheirAlignment() throws {
        let text = "plain ascii text that runs long enough \"quoted\" back\\slash\ttab héllo \u{1}control end"
        for prefix in 0..<9 {
            let input = String(repeating: "x", count: prefix) + text
            var out: [UInt8] = []
            JSONWriter.appendString(input, to: &out)
            let decoded = try JSONReader.decode(out)
            #expect(decoded == .string(input))
        }
    }
}
