import Testing
@testable import RunnelCore

/// One value and its MessagePack bytes, as an independent encoder produced them.
struct MessagePackFixture: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var value: MessagePackValue

    init(name: String, bytes: [ByteRun], value: MessagePackValue) {
        self.name = name
        self.bytes = bytes.flatMap(\.bytes)
        self.value = value
    }

    var testDescription: String { name }
}

/// Compact byte notation for fixtures: hex text, or one byte repeated.
enum ByteRun: Sendable {
    case hex(String)
    case run(UInt8, Int)

    var bytes: [UInt8] {
        switch self {
        case .hex(let text): return hexBytes(text)
        case .run(let byte, let count): return Array(repeating: byte, count: count)
        }
    }
}

/// Bytes 0, 1, 2, ... 255, 0, 1, ... of the given length (the generator's extension payloads).
func fixturePattern(count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0) }
}

/// Bytes from hex text; spaces are ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd number of hex digits in \(text)")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit in \(text)")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
