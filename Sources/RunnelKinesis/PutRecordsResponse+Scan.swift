/// The common answer, every record accepted, read without building objects: JSONSerialization
/// turns each of up to 500 result entries into a dictionary, which cost more CPU than
/// formatting and signing the request did. Anything unusual (a failure count above zero, escaped
/// keys, an unexpected shape) returns nil, and the caller parses the document in full.
extension PutRecordsResponse {
    static func allAccepted(_ body: [UInt8], countKey: String, listKey: String) -> PutRecordsResponse? {
        var scanner = JSONShapeScanner(bytes: body)
        guard let (failed, entries) = scanner.countAndListLength(countKey: Array(countKey.utf8), listKey: Array(listKey.utf8)),
            failed == 0
        else { return nil }
        return PutRecordsResponse(failedCount: 0, results: Array(repeating: Result(), count: entries))
    }
}

/// Walks a JSON document's structure: the top-level object's keys, an integer member and the
/// number of elements of an array member. Strings are skipped with their escapes; nothing is decoded.
struct JSONShapeScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The integer at `countKey` and the element count of the array at `listKey`, both required.
    mutating func countAndListLength(countKey: [UInt8], listKey: [UInt8]) -> (Int, Int)? {
        var count: Int?
        var length: Int?
        guard consume(UInt8(ascii: "{")) else { return nil }
        if consume(UInt8(ascii: "}")) { return nil }
        repeat {
            guard let key = plainString(), consume(UInt8(ascii: ":")) else { return nil }
            if key.elementsEqual(countKey) {
                guard let value = integer() else { return nil }
                count = value
            } else if key.elementsEqual(listKey) {
                guard let value = arrayLength() else { return nil }
                length = value
            } else {
                guard skipValue() else { return nil }
            }
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")), let count, let length else { return nil }
        return (count, length)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09 {
            index += 1
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string without escapes (object keys); nil for anything else.
    mutating func plainString() -> ArraySlice<UInt8>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        index += 1
        return bytes[start..<(index - 1)]
    }

    mutating func integer() -> Int? {
        skipWhitespace()
        var value = 0
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), index - start < 18 {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        return index > start ? value : nil
    }

    mutating func arrayLength() -> Int? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        if consume(UInt8(ascii: "]")) { return 0 }
        var length = 0
        repeat {
            guard skipValue() else { return nil }
            length += 1
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? length : nil
    }

    /// Skips one value of any kind, nested values included.
    mutating func skipValue() -> Bool {
        skipWhitespace()
        guard index < bytes.count else { return false }
        var depth = 0
        repeat {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return false }
                index += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return false }
                depth -= 1
                index += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"), 0x20, 0x0a, 0x0d, 0x09:
                guard depth > 0 else { return false }
                index += 1
            default:
                // A number or literal: up to the next delimiter.
                while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0a, 0x0d, 0x09].contains(bytes[index]) {
                    index += 1
                }
            }
        } while depth > 0
        return true
    }
}
