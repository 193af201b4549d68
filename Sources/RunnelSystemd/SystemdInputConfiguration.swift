/// The settings of `<source> @type systemd` (fluent-plugin-systemd v1's in_systemd), validated.
///
/// Read from the configuration tree in `SystemdInputConfiguration+Config.swift`, whose doc
/// comment lists every key.
public struct SystemdInputConfiguration: Sendable, Equatable {
    /// `path`: the journal directory (as `sd_journal_open_directory`), or one journal file.
    public var path: String
    /// `matches` (or the deprecated `filters`): which entries to read.
    public var matches: JournalMatches
    /// `read_from_head`: without a stored cursor, start at the oldest entry (else at the newest one).
    public var readFromHead: Bool
    /// `tag`.
    public var tag: String
    /// `<storage>`: where the journal cursor is kept.
    public var storage: CursorStorageConfiguration
    /// `<entry>`: how journal fields become record keys.
    public var entry: EntryMapping
    /// Entries read and emitted as one event stream at most (not a Fluentd parameter).
    public var batchSize: Int

    public init(
        path: String = "/var/log/journal", matches: JournalMatches = JournalMatches(), readFromHead: Bool = false,
        tag: String, storage: CursorStorageConfiguration = CursorStorageConfiguration(), entry: EntryMapping = EntryMapping(),
        batchSize: Int = 1000
    ) {
        self.path = path
        self.matches = matches
        self.readFromHead = readFromHead
        self.tag = tag
        self.storage = storage
        self.entry = entry
        self.batchSize = batchSize
    }
}

/// `<storage>` of in_systemd: Fluentd's storage_local holding `{"journal": "<cursor>"}`.
public struct CursorStorageConfiguration: Sendable, Equatable {
    /// The JSON file, or nil for a cursor kept in memory only (no `path`, no `@id` + `root_dir`).
    public var path: String?
    /// `persistent`: write the file after every batch (else every `autosave_interval` and at shutdown).
    public var persistent: Bool
    /// `autosave`, `autosave_interval` (seconds).
    public var autosave: Bool
    public var autosaveInterval: Double
    /// `save_at_shutdown`.
    public var saveAtShutdown: Bool
    /// `mode`, `dir_mode`: permissions of the file and of directories made for it.
    public var fileMode: Int
    public var directoryMode: Int
    /// `pretty_print`.
    public var prettyPrint: Bool

    public init(
        path: String? = nil, persistent: Bool = false, autosave: Bool = true, autosaveInterval: Double = 10,
        saveAtShutdown: Bool = true, fileMode: Int = 0o644, directoryMode: Int = 0o755, prettyPrint: Bool = false
    ) {
        self.path = path
        self.persistent = persistent
        self.autosave = autosave
        self.autosaveInterval = autosaveInterval
        self.saveAtShutdown = saveAtShutdown
        self.fileMode = fileMode
        self.directoryMode = directoryMode
        self.prettyPrint = prettyPrint
    }
}
