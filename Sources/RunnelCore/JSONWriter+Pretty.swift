extension JSONWriter {
    /// Appends `value` as Ruby's `JSON.pretty_generate` lays it out: two spaces per level,
    /// `"key": value`, one member or element per line, `{}` and `[]` when empty.
    public static func appendPretty(_ value: MessagePackValue, indent: Int = 0, to out: inout [UInt8]) {
        func newline(_ level: Int) {
            out.append(0x0a)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch value {
        case .map(let pairs) where !pairs.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                append(pair.key.stringValue.map(MessagePackValue.string) ?? pair.key, to: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                appendPretty(pair.value, indent: indent + 1, to: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                appendPretty(element, indent: indent + 1, to: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        default:
            append(value, to: &out)
        }
    }
}
