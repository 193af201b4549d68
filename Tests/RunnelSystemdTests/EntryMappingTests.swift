import RunnelCore
import Testing
@testable import RunnelSystemd

/// SystemdEntryMutator's behaviour (fluent-plugin-systemd lib/fluent/plugin/systemd/entry_mutator.rb),
/// on the README's example entry.
struct EntryMappingTests {
    static let entry: [(name: String, value: [UInt8])] = [
        ("_MACHINE_ID", "bb9d0a52a41243829ecd729b40ac0bce"), ("_HOSTNAME", "arch"), ("MESSAGE", "this is a log message"),
        ("_PID", "123"), ("_CMDLINE", "login -- root"), ("_COMM", "login"),
    ].map { ($0.0, Array($0.1.utf8)) }

    static let readmeMap: [(source: String, destinations: [String])] = [
        ("MESSAGE", ["msg"]), ("_PID", ["process", "pid"]), ("_CMDLINE", ["process"]), ("_COMM", ["cmd"]),
    ]

    func strings(_ pairs: [(key: String, value: [UInt8])]) -> [String] {
        pairs.map { "\($0.key)=\(String(decoding: $0.value, as: UTF8.self))" }
    }

    @Test func noOptionsKeepsTheEntry() {
        #expect(strings(EntryMapping().record(Self.entry)) == strings(Self.entry.map { ($0.name, $0.value) }))
    }

    @Test func theReadmeExample() {
        let mapping = EntryMapping(fieldMap: Self.readmeMap, fieldsStripUnderscores: true, fieldsLowercase: true)
        #expect(
            strings(mapping.record(Self.entry)) == [
                "msg=this is a log message", "process=123 login -- root", "pid=123", "cmd=login",
                "machine_id=bb9d0a52a41243829ecd729b40ac0bce", "hostname=arch",
            ])
    }

    @Test func strictKeepsOnlyMappedFields() {
        let mapping = EntryMapping(fieldMap: Self.readmeMap, fieldMapStrict: true, fieldsStripUnderscores: true)
        #expect(strings(mapping.record(Self.entry)) == ["msg=this is a log message", "process=123 login -- root", "pid=123", "cmd=login"])
    }

    @Test func stripUnderscoresAndLowercaseAlone() {
        #expect(strings(EntryMapping(fieldsStripUnderscores: true).record(Self.entry)).first == "MACHINE_ID=bb9d0a52a41243829ecd729b40ac0bce")
        #expect(strings(EntryMapping(fieldsLowercase: true).record(Self.entry)).last == "_comm=login")
    }

    @Test func anUnmappedFieldLandingOnAMappedNameIsPrependedToIt() {
        // format_fields: formatted_entry[fld] = join_if_needed([val, mapped[fld]]).
        let mapping = EntryMapping(fieldMap: [("MESSAGE", ["hostname"])], fieldsStripUnderscores: true, fieldsLowercase: true)
        #expect(strings(mapping.record(Self.entry)).contains("hostname=arch this is a log message"))
    }

    @Test func aRepeatedFieldKeepsItsFirstPlaceAndLastValue() {
        let fields: [(name: String, value: [UInt8])] = [("A", [0x31]), ("B", [0x32]), ("A", [0x33])]
        #expect(strings(EntryMapping().record(fields)) == ["A=3", "B=2"])
    }

    @Test func valuesThatAreNotUTF8AreBinaries() throws {
        var writer = MessagePackWriter()
        EntryMapping.write([("TEXT", Array("é".utf8)), ("BLOB", [0xff, 0x00])], to: &writer)
        let value = try MessagePackReader.withReader(writer.bytes) { try $0.readValue() }
        #expect(value["TEXT"] == .string("é"))
        #expect(value["BLOB"] == .binary([0xff, 0x00]))
    }
}
