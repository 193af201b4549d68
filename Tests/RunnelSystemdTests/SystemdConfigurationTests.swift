import Foundation
import RunnelConfig
import RunnelCore
import Testing
@testable import RunnelSystemd

struct SystemdConfigurationTests {
    func load(_ text: String, pluginID: String? = nil, rootDirectory: String? = nil) throws -> (SystemdInputConfiguration, [String]) {
        let root = try ConfigParser.parse(text: text, file: "test.conf")
        let result = try SystemdInputConfiguration.read(root.elements(named: "source")[0], pluginID: pluginID, rootDirectory: rootDirectory)
        return (result.configuration, result.warnings)
    }

    @Test func defaults() throws {
        // fluent-plugin-systemd lib/fluent/plugin/in_systemd.rb: path '/var/log/journal', matches nil,
        // filters [], read_from_head false, tag required; <entry> field_map {}, field_map_strict,
        // fields_strip_underscores, fields_lowercase false. Fluentd lib/fluent/plugin/storage.rb:
        // persistent false, autosave true, autosave_interval 10, save_at_shutdown true;
        // lib/fluent/plugin/storage_local.rb: path nil, mode 0644, dir_mode 0755, pretty_print false.
        let (configuration, warnings) = try load("<source>\n  @type systemd\n  tag kubelet\n</source>\n")
        #expect(configuration == SystemdInputConfiguration(tag: "kubelet"))
        #expect(configuration.path == "/var/log/journal")
        #expect(configuration.readFromHead == false)
        #expect(configuration.matches.terms.isEmpty)
        #expect(
            configuration.storage
                == CursorStorageConfiguration(
                    path: nil, persistent: false, autosave: true, autosaveInterval: 10, saveAtShutdown: true,
                    fileMode: 0o644, directoryMode: 0o755, prettyPrint: false))
        #expect(configuration.entry == EntryMapping())
        #expect(warnings.isEmpty)
    }

    @Test func theDaemonSetSourceLoads() throws {
        let (configuration, warnings) = try load(
            """
            <source>
              @type systemd
              @id in_systemd_kubelet
              matches [{ "_SYSTEMD_UNIT": "kubelet.service" }]
              <storage>
                @type local
                persistent true
                path /var/log/fluentd-journald-kubelet-cursor.json
              </storage>
              read_from_head true
              tag kubelet
            </source>
            """, pluginID: "in_systemd_kubelet")
        #expect(configuration.matches.operations == [.match("_SYSTEMD_UNIT=kubelet.service")])
        #expect(configuration.storage.path == "/var/log/fluentd-journald-kubelet-cursor.json")
        #expect(configuration.storage.persistent)
        #expect(configuration.readFromHead)
        #expect(warnings.isEmpty)
    }

    @Test func matchesBecomeSdJournalOperations() throws {
        let matches = try JournalMatches.parse(#"[{"_SYSTEMD_UNIT": "a.service", "_pid": 28097}, {"PRIORITY": [3, "4"]}, {}]"#).get()
        #expect(
            matches.operations == [
                .match("_SYSTEMD_UNIT=a.service"), .match("_PID=28097"), .disjunction,
                .match("PRIORITY=3"), .match("PRIORITY=4"), .disjunction,
            ])
    }

    @Test(arguments: [
        (#"{"_SYSTEMD_UNIT": "a"}"#, "must be an array of hashes"),
        (#"["a"]"#, "element 0 is not a hash"),
        (#"[{"BAD-NAME": "a"}]"#, "not a journal field name"),
        (#"[{"X": {"y": 1}}]"#, "not a string, number or boolean"),
        ("[{", "is not valid JSON"),
    ])
    func badMatchesNameTheProblem(_ value: String, _ expected: String) throws {
        let text = "<source>\n  @type systemd\n  tag t\n  matches '\(value)'\n</source>\n"
        let error = try #require(throws: ConfigError.self) { try load(text) }
        #expect(error.description.contains("test.conf:4"))
        #expect(error.description.contains("matches"))
        #expect(error.description.contains(expected))
    }

    @Test func filtersIsADeprecatedAliasOfMatches() throws {
        let (configuration, warnings) = try load("<source>\n  @type systemd\n  tag t\n  filters [{\"_SYSTEMD_UNIT\": \"x.service\"}]\n</source>\n")
        #expect(configuration.matches.operations == [.match("_SYSTEMD_UNIT=x.service")])
        #expect(warnings == ["'filters' is deprecated: filters has been renamed as matches"])
    }

    @Test func tagIsRequired() throws {
        let error = try #require(throws: ConfigError.self) { try load("<source>\n  @type systemd\n</source>\n") }
        #expect(error.description.contains("tag"))
    }

    @Test func storagePathsFollowStorageLocal() throws {
        let dir = NSTemporaryDirectory() + "runnel-systemd-conf-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func storagePath(_ storage: String, id: String? = nil, root: String? = nil) throws -> String? {
            try load("<source>\n  @type systemd\n  tag t\n  <storage>\n    \(storage)\n  </storage>\n</source>\n", pluginID: id, rootDirectory: root).0.storage
                .path
        }
        #expect(try storagePath("path \(dir)/cursor.json") == "\(dir)/cursor.json")
        // An existing directory, or a new name not ending in .json, holds worker0/storage.json.
        #expect(try storagePath("path \(dir)") == "\(dir)/worker0/storage.json")
        #expect(try storagePath("path \(dir)/state") == "\(dir)/state/worker0/storage.json")
        // No path: <system> root_dir and @id, as Fluentd's plugin_root_dir.
        #expect(try storagePath("@type local", id: "in_journal", root: "/var/lib/runnel") == "/var/lib/runnel/worker0/in_journal/storage.json")
        #expect(try storagePath("@type local", root: "/var/lib/runnel") == nil)
    }

    @Test func persistentStorageNeedsAPlace() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("<source>\n  @type systemd\n  tag t\n  <storage>\n    persistent true\n  </storage>\n</source>\n")
        }
        #expect(error.description.contains("test.conf:4"))
        #expect(error.description.contains("path"))
    }

    @Test func otherStorageTypesAreRejected() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("<source>\n  @type systemd\n  tag t\n  <storage>\n    @type redis\n  </storage>\n</source>\n")
        }
        #expect(error.description.contains("test.conf:5"))
        #expect(error.description.contains("redis"))
    }

    @Test func entrySection() throws {
        let (configuration, warnings) = try load(
            """
            <source>
              @type systemd
              tag t
              <entry>
                field_map {"MESSAGE": "log", "_PID": ["process", "pid"], "_CMDLINE": "process", "_COMM": "cmd"}
                field_map_strict false
                fields_strip_underscores true
                fields_lowercase true
              </entry>
            </source>
            """)
        #expect(
            configuration.entry
                == EntryMapping(
                    fieldMap: [("MESSAGE", ["log"]), ("_PID", ["process", "pid"]), ("_CMDLINE", ["process"]), ("_COMM", ["cmd"])],
                    fieldMapStrict: false, fieldsStripUnderscores: true, fieldsLowercase: true))
        #expect(warnings.isEmpty)
        let strict = try load("<source>\n  @type systemd\n  tag t\n  <entry>\n    field_map_strict true\n  </entry>\n</source>\n")
        #expect(strict.1 == ["`field_map_strict` set to true with empty `field_map`, expect no fields"])
        let error = try #require(throws: ConfigError.self) {
            try load("<source>\n  @type systemd\n  tag t\n  <entry>\n    field_map {\"A\": 1}\n  </entry>\n</source>\n")
        }
        #expect(error.description.contains("test.conf:5"))
    }
}
