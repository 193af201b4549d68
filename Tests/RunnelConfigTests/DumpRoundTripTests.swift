import Testing

@testable import RunnelConfig

@Suite("dump() reads back")
struct DumpRoundTripTests {
    @Test(arguments: [
        "plain", "", " leading", "trailing ", "two\nlines", "tab\tinside", "a # not a comment", "\"quoted\"", "'single'",
        "[not json", #"["a","b"]"#, "{}", "#{ENV['X']}", "back\\slash", "#hash", "a#b", "[1, 2]",
    ])
    func valueSurvivesDumpAndParse(_ value: String) throws {
        let element = ConfigElement(
            name: "ROOT",
            children: [
                ConfigElement(name: "source", parameters: [ConfigParameter(key: "key", value: value, location: .synthesized)])
            ])
        let parsed = try parseClassic(element.dump())
        #expect(parsed.element(named: "source")?.string("key") == value)
    }
}
