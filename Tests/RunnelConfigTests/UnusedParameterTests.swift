import Testing

@testable import RunnelConfig

@Suite("Unused parameter tracking")
struct UnusedParameterTests {
    @Test func parametersNobodyReadAreReportedByName() throws {
        let root = try parseClassic(
            "<match **>\n  @type kinesis_streams\n  @id out\n  stream_name logs\n  regoin us-east-1\n  typo_param x\n</match>\n")
        let match = try #require(root.element(named: "match"))
        #expect(match.unusedParameters.map(\.key) == ["stream_name", "regoin", "typo_param"])
        _ = match.pluginType
        _ = match.string("stream_name")
        _ = match.string("region")
        #expect(match.unusedParameters.map(\.key) == ["regoin", "typo_param"])
        #expect(match.unusedParameters.first?.location == SourceLocation(file: "test.conf", line: 5, column: 3))
        match.markUsed("typo_param")
        #expect(match.unusedParameters.map(\.key) == ["regoin"])
    }

    @Test func everyTypedReaderMarksUsed() throws {
        let section = ConfigElement(
            "buffer", "",
            ["a": "1", "b": "1s", "c": "1k", "d": "true", "e": "1.5", "f": "x,y", "g": "k:v", "h": "s", "i": "t", "j": "z"])
        _ = try section.integer("a")
        _ = try section.time("b")
        _ = try section.size("c")
        _ = try section.bool("d")
        _ = try section.float("e")
        _ = try section.array("f")
        _ = try section.hash("g")
        _ = section.secret("h")
        _ = try section.requiredString("i")
        #expect(section.unusedParameters.map(\.key) == ["j"])
        #expect(section.has("j"))
        #expect(section.unusedParameters.map(\.key) == ["j"])
    }

    @Test func unusedParametersOfTheWholeTreeWithTheirSectionPath() throws {
        let root = try parseClassic(
            "<match app.**>\n  @type stdout\n  used 1\n  <buffer tag>\n    flush_interval 1s\n    flush_intreval 2s\n  </buffer>\n</match>\n")
        let match = try #require(root.element(named: "match"))
        _ = match.string("used")
        _ = try match.element(named: "buffer")?.time("flush_interval")
        let unused = root.unusedParametersInTree
        #expect(unused.map(\.path) == ["<match app.**> <buffer tag>"])
        #expect(unused.map(\.parameter.key) == ["flush_intreval"])
        #expect(unused.first?.parameter.location == SourceLocation(file: "test.conf", line: 6, column: 5))
    }
}
