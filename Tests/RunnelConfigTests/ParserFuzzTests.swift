import RunnelTestSupport
import Testing

@testable import RunnelConfig

/// Random texts made of the characters that matter to the classic parser: every one must either
/// parse or fail with a ConfigError (never crash or hang), and whatever parses must read back the
/// same from its dump.
@Suite("Classic parser on random input")
struct ParserFuzzTests {
    static let pieces = [
        "<source>\n", "</source>\n", "<match a.**>\n", "</match>\n", "<buffer tag>\n", "</buffer>\n", "key", "k2", " ",
        "\t", "\n", "#", "# c\n", "\"", "'", "\\", "\\n", "#{ENV['A']}", "#{", "}", "[", "]", "{", "}", ",", ":",
        "\"s\"", "1", "@type", "@include", "value", "é", "\r\n", "<", ">", "/",
    ]

    @Test(arguments: 0..<8)
    func randomTextParsesOrFailsCleanly(seed: Int) throws {
        // A fixed seed gives the same texts on every run.
        var generator = SplitMix64(seed: UInt64(seed))
        for _ in 0..<400 {
            let count = Int.random(in: 1...40, using: &generator)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            let root: ConfigElement
            do {
                root = try parseClassic(text, environment: ["A": "x"])
            } catch is ConfigError {
                continue
            }
            let dumped = root.dump()
            let again = try #require(
                try? parseClassic(dumped), "dump of \(String(reflecting: text)) does not parse: \(String(reflecting: dumped))")
            #expect(again.dump() == dumped, "input: \(String(reflecting: text))")
        }
    }
}
