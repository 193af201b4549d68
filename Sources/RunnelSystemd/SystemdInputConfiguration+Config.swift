import Foundation
import RunnelConfig
import RunnelCore

extension SystemdInputConfiguration {
    /// Reads `<source> @type systemd` (fluent-plugin-systemd v1, lib/fluent/plugin/in_systemd.rb).
    ///
    /// | key | type | default | meaning |
    /// |---|---|---|---|
    /// | `path` | string | `/var/log/journal` | journal directory (`sd_journal_open_directory`); a `.journal` file is opened alone |
    /// | `matches` | array of hashes | none (every entry) | `[{"_SYSTEMD_UNIT": "kubelet.service"}]`: fields of a hash ANDed, hashes ORed, an array value ORs its values |
    /// | `filters` | array of hashes | `[]` | deprecated name of `matches` (used when `matches` is absent) |
    /// | `read_from_head` | bool | false | without a stored cursor: start at the oldest entry; else at the newest one (which is read) |
    /// | `tag` | string | required | the events' tag |
    /// | `<storage>` `@type` | string | `local` | only `local` (Fluentd's storage_local) |
    /// | `<storage>` `path` | string | none | JSON file `{"journal": "<cursor>"}`; a directory (or a name not ending in `.json`) holds `worker0/storage.json`; without it, `<system> root_dir` and `@id` give `root_dir/worker0/<id>/storage.json`, else the cursor is kept in memory |
    /// | `<storage>` `persistent` | bool | false | write the file after every emitted batch (requires a path) |
    /// | `<storage>` `autosave` / `autosave_interval` | bool / time | true / 10 | when not persistent: write the file this often |
    /// | `<storage>` `save_at_shutdown` | bool | true | write the file at shutdown |
    /// | `<storage>` `mode` / `dir_mode` | octal | `0644` / `0755` | permissions of the file and of directories made for it |
    /// | `<storage>` `pretty_print` | bool | false | indent the JSON |
    /// | `<entry>` `field_map` | hash | `{}` | `{"SRC": "dst"}` or `{"SRC": ["dst1", "dst2"]}` |
    /// | `<entry>` `field_map_strict` | bool | false | keep only mapped fields |
    /// | `<entry>` `fields_strip_underscores` | bool | false | strip leading `_` from unmapped field names |
    /// | `<entry>` `fields_lowercase` | bool | false | lower-case unmapped field names |
    ///
    /// `pluginID` is `@id` when the section has one; `rootDirectory` is `<system> root_dir`.
    /// Returns the configuration and the warnings to log once (a deprecated name, an empty strict map).
    public static func read(
        _ element: ConfigElement, pluginID: String?, rootDirectory: String?
    ) throws -> (configuration: SystemdInputConfiguration, warnings: [String]) {
        var warnings: [String] = []
        var configuration = SystemdInputConfiguration(tag: try element.requiredString("tag"))
        configuration.path = element.string("path", default: "/var/log/journal")
        configuration.readFromHead = try element.bool("read_from_head", default: false)
        let filters = try matches(element, key: "filters")
        if filters != nil { warnings.append("'filters' is deprecated: filters has been renamed as matches") }
        configuration.matches = try matches(element, key: "matches") ?? filters ?? JournalMatches()
        if let section = element.element(named: "storage") {
            configuration.storage = try storage(section, pluginID: pluginID, rootDirectory: rootDirectory)
        } else if let rootDirectory, let pluginID {
            configuration.storage.path = "\(rootDirectory)/worker0/\(pluginID)/storage.json"
        }
        if let section = element.element(named: "entry") {
            configuration.entry = try entry(section)
            if configuration.entry.fieldMapStrict, configuration.entry.fieldMap.isEmpty {
                warnings.append("`field_map_strict` set to true with empty `field_map`, expect no fields")
            }
        }
        return (configuration, warnings)
    }

    static func matches(_ element: ConfigElement, key: String) throws -> JournalMatches? {
        guard let raw = element.rawValue(key) else { return nil }
        switch JournalMatches.parse(raw) {
        case .success(let matches): return matches
        case .failure(let error): throw element.rejected(key, error.message)
        }
    }

    static func storage(_ section: ConfigElement, pluginID: String?, rootDirectory: String?) throws -> CursorStorageConfiguration {
        let type = section.pluginType ?? "local"
        guard type == "local" else {
            let location = section.parameter("@type")?.location ?? section.location
            throw ConfigError(.invalidValue, at: location, "<storage>: @type '\(type)' is not supported; Runnel keeps the journal cursor with @type local")
        }
        var storage = CursorStorageConfiguration()
        storage.persistent = try section.bool("persistent", default: false)
        storage.autosave = try section.bool("autosave", default: true)
        storage.autosaveInterval = try section.time("autosave_interval", default: 10)
        storage.saveAtShutdown = try section.bool("save_at_shutdown", default: true)
        storage.prettyPrint = try section.bool("pretty_print", default: false)
        storage.fileMode = try octal(section, "mode", default: 0o644)
        storage.directoryMode = try octal(section, "dir_mode", default: 0o755)
        guard storage.autosaveInterval > 0 else { throw section.rejected("autosave_interval", "must be greater than 0") }
        let usage = section.argument
        if !usage.isEmpty, usage.range(of: "^[a-zA-Z][-_.a-zA-Z0-9]*$", options: .regularExpression) == nil {
            throw ConfigError(.invalidValue, at: section.location, "Argument in <storage ARG> uses invalid characters: '\(usage)'")
        }
        if let path = section.string("path") {
            // storage_local: an existing file, or a new name ending in .json, is the file; anything else a directory.
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if (exists && !isDirectory.boolValue) || (!exists && path.hasSuffix(".json")) {
                storage.path = path
            } else {
                storage.path = "\(path)/worker0/storage.json"
            }
        } else if let rootDirectory, let pluginID {
            storage.path = "\(rootDirectory)/worker0/\(pluginID)/" + (usage.isEmpty ? "storage.json" : "storage.\(usage).json")
        } else if storage.persistent {
            throw ConfigError(.missingParameter, at: section.location, "<storage>: Plugin @id or path for <storage> required when 'persistent' is true")
        }
        return storage
    }

    static func octal(_ section: ConfigElement, _ key: String, default value: Int) throws -> Int {
        guard let raw = section.string(key) else { return value }
        guard let parsed = Int(raw.trimmingCharacters(in: .whitespaces), radix: 8) else {
            throw section.invalid(key, raw, expected: "an octal permission such as 0644")
        }
        return parsed
    }

    static func entry(_ section: ConfigElement) throws -> EntryMapping {
        var mapping = EntryMapping()
        mapping.fieldMapStrict = try section.bool("field_map_strict", default: false)
        mapping.fieldsStripUnderscores = try section.bool("fields_strip_underscores", default: false)
        mapping.fieldsLowercase = try section.bool("fields_lowercase", default: false)
        if let raw = section.rawValue("field_map") {
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard case .map(let pairs)? = try? JSONReader.decode(text) else {
                throw section.invalid("field_map", raw, expected: "a JSON hash such as {\"MESSAGE\": \"log\", \"_PID\": [\"process\", \"pid\"]}")
            }
            for pair in pairs {
                let key = pair.key.stringValue ?? ""
                switch pair.value {
                case .string(let destination):
                    mapping.fieldMap.append((key, [destination]))
                case .array(let destinations) where destinations.allSatisfy({ $0.stringValue != nil }):
                    mapping.fieldMap.append((key, destinations.compactMap(\.stringValue)))
                default:
                    throw section.rejected("field_map", "`field_map` values must be strings or an array of strings")
                }
            }
        }
        return mapping
    }
}
