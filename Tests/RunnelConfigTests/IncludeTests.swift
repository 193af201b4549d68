import Foundation
import RunnelTestSupport
import Testing

@testable import RunnelConfig

@Suite("@include and !include")
struct IncludeTests {
    @Test func includesFilesAndSortedGlobsRelativeToTheIncludingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write(
            "fluent.conf",
            """
            @include conf.d/*.conf
            <match **>
              @type stdout
              @include "parts/buffer.conf"
            </match>
            include legacy.conf
            """)
        try directory.write("conf.d/20-tail.conf", "<source>\n  @type tail\n</source>\n")
        try directory.write("conf.d/10-forward.conf", "<source>\n  @type forward\n</source>\n@include ../sub/sub.conf\n")
        try directory.write("conf.d/30-ignored.txt", "not a config")
        try directory.write("sub/sub.conf", "<source>\n  @type http\n</source>\n")
        try directory.write("parts/buffer.conf", "<buffer>\n  flush_interval 1s\n</buffer>\nretry_limit 3\n")
        try directory.write("legacy.conf", "<system>\n</system>\n")

        let root = try ConfigLoader.load(path: main, environment: [:])
        #expect(root.children.map { $0.pluginType ?? $0.name } == ["forward", "http", "tail", "stdout", "system"])
        let match = try #require(root.element(named: "match"))
        #expect(match.string("retry_limit") == "3")
        #expect(try match.element(named: "buffer")?.time("flush_interval") == 1)
        let tail = root.children[2]
        #expect(tail.location.file == directory.path + "/conf.d/20-tail.conf")
        #expect(tail.location.line == 1)
    }

    @Test func globMatchingNothingIncludesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("fluent.conf", "@include conf.d/*.conf\n<source>\n</source>\n")
        let root = try ConfigLoader.load(path: main, environment: [:])
        #expect(root.children.count == 1)
    }

    /// Fluentd's eval_include globs every path (lib/fluent/config/v1_parser.rb, `Dir.glob(pattern)`),
    /// so a file that does not exist includes nothing.
    @Test func missingFileIncludesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("fluent.conf", "<source>\n</source>\n<match **>\n  @include missing.conf\n  @type null\n</match>\n")
        let root = try ConfigLoader.load(path: main, environment: [:])
        #expect(root.elements(named: "match").first?.string("@type") == "null")
        #expect(root.elements(named: "match").first?.children.isEmpty == true)
    }

    @Test func directoryIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("conf.d/a.conf", "")
        let main = try directory.write("fluent.conf", "@include conf.d\n")
        let error = try #require(configError { try ConfigLoader.load(path: main, environment: [:]) })
        #expect(error.message == "cannot include 'conf.d': \(directory.path)/conf.d is a directory; use a glob such as '\(directory.path)/conf.d/*.conf'")
    }

    @Test func includeCycleIsAnErrorNotAHang() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("a.conf", "@include b.conf\n")
        let b = try directory.write("b.conf", "<source>\n</source>\n@include ./a.conf\n")
        let error = try #require(configError { try ConfigLoader.load(path: main, environment: [:]) })
        #expect(error.kind == .include)
        #expect(error.location == SourceLocation(file: b, line: 3, column: 1))
        let a = ConfigIncludeResolver.canonicalPath(main)
        let bCanonical = ConfigIncludeResolver.canonicalPath(b)
        #expect(error.message == "include cycle: \(a) -> \(bCanonical) -> \(a); remove one of these @include lines")
    }

    @Test func selfIncludeThroughGlobIsACycle() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("all.conf", "@include *.conf\n")
        let error = try #require(configError { try ConfigLoader.load(path: main, environment: [:]) })
        #expect(error.kind == .include)
        #expect(error.message.hasPrefix("include cycle"))
    }

    @Test func unmatchedCloseTagInIncludedFileNamesThatFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("fluent.conf", "<match **>\n@include part.conf\n</match>\n")
        let part = try directory.write("part.conf", "@type stdout\n</match>\n")
        let error = try #require(configError { try ConfigLoader.load(path: main, environment: [:]) })
        #expect(error.location == SourceLocation(file: part, line: 2, column: 1))
        #expect(error.message == "found '</match>' but no section is open here")
    }

    @Test func quotedPathWithSpacesAndKeyAtEndOfFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("fluent.conf", "<source>\n  @include \"my parts/source.conf\" # comment\n</source>\n")
        try directory.write("my parts/source.conf", "@type forward\nflag")
        let root = try ConfigLoader.load(path: main, environment: [:])
        #expect(root.dump() == "<source>\n  @type forward\n  flag\n</source>")
    }

    @Test func urlsAreRefused() throws {
        let error = try #require(configError { try parseClassic("@include http://example.com/fluent.conf\n") })
        #expect(error.message == "cannot include 'http://example.com/fluent.conf': only local files can be included, not URLs")
    }

    @Test func yamlIncludesListsOfDirectives() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write(
            "fluent.yaml",
            """
            config:
              - !include sources/*.yaml
              - match:
                  $tag: "**"
                  $type: stdout
            """)
        try directory.write("sources/b.yaml", "- source:\n    $type: tail\n")
        try directory.write("sources/a.yaml", "- source:\n    $type: forward\n- !include ../more/c.yml\n")
        try directory.write("more/c.yml", "- source:\n    $type: http\n")
        let root = try ConfigLoader.load(path: main, environment: [:])
        #expect(root.children.map { $0.pluginType } == ["forward", "http", "tail", "stdout"])
    }

    @Test func yamlIncludeCycleIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let main = try directory.write("a.yaml", "config:\n  - !include b.yaml\n")
        let b = try directory.write("b.yaml", "- !include a.yaml\n")
        let error = try #require(configError { try ConfigLoader.load(path: main, environment: [:]) })
        #expect(error.kind == .include)
        #expect(error.location.file == b)
        #expect(error.location.line == 1)
        #expect(error.message.hasPrefix("include cycle"))
    }

    @Test func longIncludeChainsStop() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for index in 0..<40 { try directory.write("\(index).conf", "@include \(index + 1).conf\n") }
        try directory.write("40.conf", "")
        let error = try #require(configError { try ConfigLoader.load(path: directory.path + "/0.conf", environment: [:]) })
        #expect(error.kind == .include)
        #expect(error.message.hasPrefix("includes are nested more than 32 deep"))
        #expect(error.location.file == directory.path + "/31.conf")
    }

    @Test func missingMainFile() throws {
        let error = try #require(configError { try ConfigLoader.load(path: "/nonexistent/fluent.conf", environment: [:]) })
        #expect(error.description == "/nonexistent/fluent.conf:1: cannot load the configuration: no such file /nonexistent/fluent.conf")
    }
}
