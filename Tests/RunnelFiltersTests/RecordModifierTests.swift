import Logging
import RunnelConfig
import RunnelCore
import Testing

@testable import RunnelFilters

/// The examples of fluent-plugin-record-modifier's README.
@Suite struct RecordModifierTests {
    func modify(_ body: String, tag: String = "foo.bar", _ record: MessagePackValue) async throws -> [MessagePackValue] {
        let harness = try Harness("<filter **>\n@type record_modifier\n\(body)\n</filter>\n<match **>\n@type capture\n</match>")
        try await harness.emit(tag, [record])
        return harness.out.records
    }

    @Test func readmeRecord() async throws {
        let out = try await modify(
            """
            <record>
              gen_host web01
              foo bar
              tag ${tag}
              tag_extract ${tag_parts[0]}-${tag_parts[1]}-foo
              new_field foo:${record['key1'] + record['dict']['key']}
              copied ${record["dict"]}
              last ${tag_parts[-1]}
              stamp ${time}
            </record>
            """,
            .record(["message": "hello world!", "key1": "k1", "dict": .record(["key": "v"])]))
        #expect(
            out == [
                .record([
                    "message": "hello world!", "key1": "k1", "dict": .record(["key": "v"]), "gen_host": "web01", "foo": "bar", "tag": "foo.bar",
                    "tag_extract": "foo-bar-foo", "new_field": "foo:k1v", "copied": .record(["key": "v"]), "last": "bar", "stamp": 1_700_000_000,
                ])
            ])
    }

    @Test func removeKeysAndWhitelistKeys() async throws {
        let record: MessagePackValue = .record(["key1": "hoge", "key2": "foo", "key3": "bar", "n": .record(["a": 1, "b": 2])])
        #expect(try await modify("remove_keys key1,key2,$.n.a", record) == [.record(["key3": "bar", "n": .record(["b": 2])])])
        #expect(try await modify("whitelist_keys key1, key2", record) == [.record(["key1": "hoge", "key2": "foo"])])
        #expect(try await modify("whitelist_keys key1\n<record>\nadded x\n</record>", record) == [.record(["key1": "hoge", "added": "x"])])
    }

    @Test func replaceSections() async throws {
        let out = try await modify(
            """
            <replace>
              key key1
              expression /^(?<start>.+).{2}(?<end>.+)$/
              replace \\k<start>ors\\k<end>
            </replace>
            <replace>
              key key2
              expression /^(.{1}).{2}(.{1})$/
              replace \\1ors\\2
            </replace>
            """, .record(["key1": "hoge", "key2": "hoge", "key3": "bar"]))
        #expect(out == [.record(["key1": "horse", "key2": "horse", "key3": "bar"])])
    }

    @Test func charEncodingConverts() async throws {
        let latin1: MessagePackValue = .record(["m": .binary([0x63, 0x61, 0x66, 0xe9])])
        #expect(try await modify("char_encoding iso-8859-1:utf-8", latin1) == [.record(["m": "café"])])
        #expect(try await modify("char_encoding utf-8", .record(["m": .binary(Array("ok".utf8))])) == [.record(["m": "ok"])])
    }

    /// `record['missing']['x']` raises in Ruby; the event goes no further.
    @Test func codeThatRaisesDropsTheEvent() async throws {
        #expect(try await modify("<record>\nx ${record['missing']['x']}\n</record>", .record(["a": 1])).isEmpty)
        #expect(try await modify("<record>\nx ${record.dig('missing', 'x')}\n</record>", .record(["a": 1])) == [.record(["a": 1, "x": .nil])])
    }

    @Test(arguments: [
        ("prepare_value @foo = 1", "prepare_value"),
        ("remove_keys a\nwhitelist_keys b", "exclusive"),
        ("<record>\nx ${Time.at(time).to_s}\n</record>", "Time.at(time).to_s"),
        ("<record>\nx ${record['a'].upcase}\n</record>", "upcase"),
        ("char_encoding klingon", "char_encoding"),
        ("<replace>\nkey a\nexpression /(/\nreplace b\n</replace>", "expression"),
    ])
    func configurationErrors(body: String, message: String) {
        let error = configError("<filter **>\n@type record_modifier\n\(body)\n</filter>\n<match **>\n@type capture\n</match>")
        #expect(error.contains(message), "\(error)")
        #expect(error.contains("test.conf"), "\(error)")
    }
}
