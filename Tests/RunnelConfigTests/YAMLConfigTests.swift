import Testing

@testable import RunnelConfig

@Suite("YAML syntax")
struct YAMLConfigTests {
    static let classic = """
        <system>
          log_level info
          workers 1
        </system>
        <source>
          @type forward
          @label @INPUT
          @id in_forward
          port 24224
          bind 0.0.0.0
        </source>
        <source>
          @type tail
          path /var/log/app/*.log
          tag app.logs
          read_from_head true
          <parse>
            @type regexp
            expression /^(?<time>[^ ]+) (?<message>.*)$/
          </parse>
        </source>
        <filter app.**>
          @type record_transformer
          <record>
            region eu-west-1
            hostname my-host
          </record>
        </filter>
        <match app.** system.**>
          @type copy
          <store>
            @type kinesis_streams
            stream_name logs
            <buffer tag,time>
              @type file
              flush_interval 1s
            </buffer>
          </store>
          <store>
            @type stdout
          </store>
        </match>
        <label @INPUT>
          <match **>
            @type null
            keys ["a","b",1]
            hash {"k":"v","n":[true,null]}
            empty
          </match>
        </label>
        """

    static let yaml = """
        system:
          log_level: info
          workers: 1
        config:
          - source:
              $type: forward
              $label: "@INPUT"
              $id: in_forward
              port: 24224
              bind: 0.0.0.0
          - source:
              $type: tail
              path: /var/log/app/*.log
              tag: app.logs
              read_from_head: yes
              parse:
                $type: regexp
                expression: /^(?<time>[^ ]+) (?<message>.*)$/
          - filter:
              $tag: app.**
              $type: record_transformer
              record:
                region: !fluent/s "#{ENV['REGION']}"
                hostname: my-host
          - match:
              $tag: [app.**, system.**]
              $type: copy
              store:
                - $type: kinesis_streams
                  stream_name: logs
                  buffer:
                    $type: file
                    $arg: [tag, time]
                    flush_interval: 1s
                - $type: stdout
          - label:
              $name: "@INPUT"
              config:
                - match:
                    $tag: "**"
                    $type: null
                    keys: [a, "b", 1]
                    hash: !fluent/json {k: v, n: [true, null]}
                    empty:
        """

    @Test func yamlAndClassicGiveTheSameTree() throws {
        let fromYAML = try parseYAML(Self.yaml, environment: ["REGION": "eu-west-1"])
        let fromClassic = try parseClassic(Self.classic)
        #expect(fromYAML.dump() == fromClassic.dump())
        #expect(fromClassic.dump() == Self.classic)
    }

    @Test func locationsComeFromYAMLMarks() throws {
        let root = try parseYAML(Self.yaml, environment: ["REGION": "x"])
        let source = root.elements(named: "source")[1]
        #expect(source.location == SourceLocation(file: "test.yaml", line: 11, column: 5))
        #expect(source.parameter("path")?.location == SourceLocation(file: "test.yaml", line: 13, column: 7))
        #expect(source.parameter("@type")?.location.line == 12)
    }

    @Test func systemInsideTheConfigListAndWorkers() throws {
        let root = try parseYAML(
            """
            config:
              - system:
                  log_level: debug
              - worker:
                  $arg: 0
                  config:
                    - source: {$type: forward}
            """)
        #expect(root.dump() == "<system>\n  log_level debug\n</system>\n<worker 0>\n  <source>\n    @type forward\n  </source>\n</worker>")
    }

    @Test func scalarsBecomeFluentdText() throws {
        let root = try parseYAML(
            """
            config:
              - source:
                  a: on
                  b: False
                  c: ~
                  d: 1.50
                  e: 'yes'
                  f: "multi\\nline"
                  g: !fluent/s "tab\\there #{ENV.fetch('A', 'z')}"
                  h: !fluent/json '{"x": [1, 2]}'
                  i: !fluent/json plain
                  j: 8m
            """)
        let source = try #require(root.element(named: "source"))
        #expect(source.parameters.map(\.value) == ["true", "false", "", "1.50", "yes", "multi\nline", "tab\there z", #"{"x":[1,2]}"#, #""plain""#, "8m"])
    }

    @Test func mergeKeys() throws {
        let root = try parseYAML(
            """
            config:
              - match: &m
                  $tag: a
                  $type: stdout
                  buffer:
                    flush_interval: 5s
              - match:
                  <<: *m
                  $tag: b
            """)
        #expect(root.children.map(\.argument) == ["a", "b"])
        #expect(root.children[1].pluginType == "stdout")
        #expect(try root.children[1].element(named: "buffer")?.time("flush_interval") == 5)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { message }
    }

    static let errors: [ErrorCase] = [
        ErrorCase(
            yaml: "config:\n  - source:\n      port: 1\n     bad: 2\n", line: 4, column: 6,
            message: "invalid YAML: did not find expected key (while parsing a block mapping at line 2, column 5)"),
        ErrorCase(
            yaml: "- source: {}\n", line: 1, column: 1,
            message: "expected a mapping with 'config:' (and optionally 'system:') at the top"),
        ErrorCase(
            yaml: "conifg:\n  - source: {}\n", line: 1, column: 1,
            message: "unknown top-level key 'conifg'; expected 'config' or 'system'"),
        ErrorCase(
            yaml: "config:\n  - sauce: {}\n", line: 2, column: 5,
            message: "unknown directive 'sauce'; expected source, match, filter, label, system or worker"),
        ErrorCase(
            yaml: "config:\n  source: {}\n", line: 2, column: 3,
            message: "expected a list of directives ('- source:', '- match:', ...)"),
        ErrorCase(
            yaml: "config:\n  - match:\n      $tag: a\n      $typ: stdout\n", line: 4, column: 7,
            message: "unknown key '$typ' in <match>; known $-keys here: $type, $label, $id, $log_level, $tag"),
        ErrorCase(
            yaml: "config:\n  - source: [1, 2]\n", line: 2, column: 13,
            message: "expected the parameters of <source> as a mapping (key: value lines)"),
        ErrorCase(
            yaml: "config:\n  - source:\n      tag: !fluent/s \"#{`id`}\"\n", line: 3, column: 12,
            message: "\"#{`id`}\": unsupported Ruby: the character '`'. \(EmbeddedRubyEvaluator.supported); put any other value in an environment variable"),
        ErrorCase(
            yaml: "config:\n  - source:\n      tag: !include x.yaml\n", line: 3, column: 12,
            message: "!include is only supported as an item of a 'config:' list"),
    ]

    @Test(arguments: errors)
    func errorsNameLineAndColumn(_ errorCase: ErrorCase) throws {
        let error = try #require(configError { try parseYAML(errorCase.yaml, file: "f.yaml") })
        #expect(error.message == errorCase.message)
        #expect(error.location == SourceLocation(file: "f.yaml", line: errorCase.line, column: errorCase.column))
    }

    @Test func labelNameFromDollarLabelToo() throws {
        let root = try parseYAML("config:\n  - label:\n      $label: '@OUT'\n      config:\n        - match: {$tag: '**', $type: stdout}\n")
        #expect(root.dump() == "<label @OUT>\n  <match **>\n    @type stdout\n  </match>\n</label>")
    }

    @Test(arguments: ["", " ~", " null", " {}"])
    func emptySections(_ value: String) throws {
        let root = try parseYAML("config:\n  - match:\n      $tag: a\n      buffer:\(value)\n  - system:\(value)\n")
        // As in Fluentd, a nested key without a mapping is a parameter with an empty value.
        let buffer = value == " {}" ? "  <buffer>\n  </buffer>" : "  buffer"
        #expect(root.dump() == "<match a>\n\(buffer)\n</match>\n<system>\n</system>")
    }

    @Test func nestingTooDeepIsAnErrorNotACrash() throws {
        var yaml = "config:\n  - source:\n"
        var indent = "      "
        for _ in 0..<100 {
            yaml += indent + "s:\n"
            indent += "  "
        }
        let error = try #require(configError { try parseYAML(yaml) })
        #expect(error.message == "sections are nested more than 64 deep")
        #expect(error.location.line == 66)
    }

    @Test func emptyDocumentIsAnEmptyRoot() throws {
        #expect(try parseYAML("").children.isEmpty)
        #expect(try parseYAML("config:\n").children.isEmpty)
    }
}
