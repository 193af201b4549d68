import Testing

@testable import RunnelConfig

@Suite("Classic syntax")
struct ClassicParserTests {
    @Test func directivesAndNestedSections() throws {
        let root = try parseClassic(
            """
            <system>
              log_level info
            </system>
            <source>
              @type forward
              @id in_forward
              port 24224
            </source>
            <filter app.**>
              @type record_transformer
              <record>
                host "#{Socket.gethostname}"
              </record>
            </filter>
            <match app.** system.*>
              @type kinesis_streams
              @log_level debug
              <buffer tag,time>
                @type file
              </buffer>
              <format>
                @type json
              </format>
            </match>
            <label @ERRORS>
              <match **>
                @type null
              </match>
            </label>
            """)
        #expect(root.name == "ROOT")
        #expect(root.children.map(\.name) == ["system", "source", "filter", "match", "label"])
        #expect(root.children.map(\.argument) == ["", "", "app.**", "app.** system.*", "@ERRORS"])
        let match = try #require(root.element(named: "match"))
        #expect(match.pluginType == "kinesis_streams")
        #expect(match.string("@log_level") == "debug")
        #expect(match.element(named: "buffer")?.argument == "tag,time")
        #expect(match.element(named: "format")?.pluginType == "json")
        #expect(root.element(named: "source")?.string("@id") == "in_forward")
        #expect(root.element(named: "label")?.element(named: "match")?.pluginType == "null")
        #expect(root.element(named: "filter")?.element(named: "record")?.string("host") == ConfigParser.hostname())
    }

    @Test func deeplyNestedSectionNames() throws {
        let names = ["security", "user", "client", "store", "assume_role_credentials", "regexp", "exclude", "and", "or"]
        var text = ""
        for name in names { text += "<\(name)>\n" }
        text += "key value\n"
        for name in names.reversed() { text += "</\(name)>\n" }
        var element = try parseClassic(text)
        for name in names { element = try #require(element.element(named: name)) }
        #expect(element.string("key") == "value")
    }

    /// (line as written, expected value)
    static let values: [(String, String)] = [
        ("key value", "value"),
        ("key   spaced   value   ", "spaced   value"),
        ("key\tvalue\t", "value"),
        ("key", ""),
        ("key   ", ""),
        ("key value # comment", "value"),
        ("key value\t# comment", "value"),
        ("key a#b", "a#b"),
        ("key a#b #c", "a#b"),
        ("key #not-a-comment", "#not-a-comment"),
        ("key /^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*)$/", "/^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*)$/"),
        ("key 'single # quoted'", "single # quoted"),
        (#"key 'it\'s \\ \n'"#, #"it's \ \n"#),
        (##"key "a\tb\nc\rd\"e\\f\#{g}h""##, "a\tb\nc\rd\"e\\f#{g}h"),
        (#"key "\$ \f\b\0""#, "$ \u{0C}\u{08}\u{00}"),
        (##"key "quoted # not a comment" # comment"##, "quoted # not a comment"),
        (##"key "#{ENV['HOME_DIR']}/logs""##, "/home/runnel/logs"),
        (#"key '#{ENV["HOME_DIR"]}'"#, #"#{ENV["HOME_DIR"]}"#),
        ("key #{ENV['HOME_DIR']}", "#{ENV['HOME_DIR']}"),
        (#"key ["a", "b" , 1]"#, #"["a","b",1]"#),
        (#"key {"k": "v", "n": {"x": [true, null, -1.5e3]}}"#, #"{"k":"v","n":{"x":[true,null,-1.5e3]}}"#),
        (#"key ["\u00e9\n"]"#, #"["é\n"]"#),
        ("@type forward", "forward"),
        ("type forward", "forward"),
        (#""quoted key" value"#, "value"),
    ]

    @Test(arguments: values)
    func parameterValue(line: String, expected: String) throws {
        let root = try parseClassic("<source>\n  \(line)\n</source>\n", environment: ["HOME_DIR": "/home/runnel"])
        let parameter = try #require(root.element(named: "source")?.parameters.first)
        #expect(parameter.value == expected)
        #expect(parameter.location.line == 2)
        #expect(parameter.location.column == 3)
    }

    @Test func multiLineValues() throws {
        let root = try parseClassic(
            """
            <match **>
              array [
                "a",   # a comment between elements
                "b#c"
              ]
              hash {
                "k1": "v1",
                "k2": 2
              }
              text "first line
            second line \\
            joined"
              after yes
            </match>
            """)
        let match = try #require(root.element(named: "match"))
        #expect(match.string("array") == #"["a","b#c"]"#)
        #expect(try match.array("array") == ["a", "b#c"])
        #expect(match.string("hash") == #"{"k1":"v1","k2":2}"#)
        #expect(match.string("text") == "first line\nsecond line joined")
        #expect(try match.bool("after") == true)
        #expect(match.parameter("after")?.location.line == 13)
    }

    @Test func commentsAndBlankLinesEverywhere() throws {
        let root = try parseClassic(
            """
            # leading comment

            <source>   # comment after a tag
              # comment line
              @type tail

            </source>  # comment after a closing tag
            # trailing comment
            """)
        #expect(root.children.count == 1)
        #expect(root.element(named: "source")?.parameters.count == 1)
    }

    @Test func repeatedKeyKeepsLastValueAtFirstPlace() throws {
        let root = try parseClassic("<source>\na 1\nb 2\na 3\n</source>")
        let source = try #require(root.element(named: "source"))
        #expect(source.parameters.map(\.key) == ["a", "b"])
        #expect(source.string("a") == "3")
        #expect(source.parameter("a")?.location.line == 4)
    }

    @Test func sectionLocationsAndArguments() throws {
        let root = try parseClassic("\n\n  <match  a.**   b.{c,d} >\n  </match>\n<match>\n</match>")
        #expect(root.children[0].argument == "a.**   b.{c,d}")
        #expect(root.children[0].location == SourceLocation(file: "test.conf", line: 3, column: 3))
        #expect(root.children[1].argument == "")
    }

    @Test func rootParametersAndCarriageReturns() throws {
        let root = try parseClassic("key value\r\n<source>\r\n  @type forward\r\n</source>\r\n")
        #expect(root.string("key") == "value")
        #expect(root.element(named: "source")?.pluginType == "forward")
    }

    @Test func reservedAtParametersInNestedSectionsAreKept() throws {
        let root = try parseClassic("<match **>\n<buffer>\n@custom x\n</buffer>\n</match>")
        #expect(root.element(named: "match")?.element(named: "buffer")?.string("@custom") == "x")
    }

    @Test func dumpRoundTrips() throws {
        let text = """
            <source>
              @type forward
              port 24224
            </source>
            <match app.**>
              @type stdout
              <buffer tag>
                flush_interval 1s
              </buffer>
            </match>
            """
        let root = try parseClassic(text)
        #expect(root.dump() == text)
        #expect(try parseClassic(root.dump()).dump() == text)
    }
}
