import CSystemd
import RunnelCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One open journal (libsystemd's sd-journal), read forward in batches.
///
/// Every call blocks (file reads, mmap faults, `sd_journal_wait`), so it is used only from the
/// input's own journal thread. sd-journal objects must not be used from two threads at once.
// @unchecked Sendable: the handle moves into closures run on the input's single-thread pool,
// which runs them one after another; nothing else touches it.
final class JournalReader: @unchecked Sendable {
    private let journal: OpaquePointer
    /// After seeking to a cursor whose entry is gone, the entry the journal stands on was not emitted yet.
    private var currentIsUnread = false

    /// Opens `path` (a directory, as fluent-plugin-systemd does, or a single journal file) and
    /// installs `matches`.
    init(path: String, matches: JournalMatches) throws(SystemdError) {
        var handle: OpaquePointer?
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw SystemdError(.open, "journal path '\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        let result: Int32
        if (status.st_mode & S_IFMT) == S_IFREG {
            result = path.withCString { cPath in
                var paths: [UnsafePointer<CChar>?] = [cPath, nil]
                return sd_journal_open_files(&handle, &paths, 0)
            }
        } else {
            result = sd_journal_open_directory(&handle, path, 0)
        }
        guard result >= 0, let handle else { throw SystemdError(.open, call: "sd_journal_open", result: result, subject: path) }
        journal = handle
        // Whole field values, however large: the default threshold (64 KiB) truncates big compressed fields.
        _ = sd_journal_set_data_threshold(journal, 0)
        for operation in matches.operations {
            let rc: Int32
            switch operation {
            case .match(let text): rc = text.withCString { sd_journal_add_match(journal, $0, text.utf8.count) }
            case .disjunction: rc = sd_journal_add_disjunction(journal)
            }
            if rc < 0 {
                sd_journal_close(journal)
                throw SystemdError(.open, call: "sd_journal_add_match", result: rc, subject: "\(operation)")
            }
        }
    }

    deinit { sd_journal_close(journal) }

    /// Where reading starts when no cursor is stored.
    func seek(fromHead: Bool) {
        if fromHead {
            _ = sd_journal_seek_head(journal)
        } else {
            // As fluent-plugin-systemd: from the tail, step back two so that the next read returns the newest entry.
            _ = sd_journal_seek_tail(journal)
            _ = sd_journal_previous_skip(journal, 2)
        }
        currentIsUnread = false
    }

    /// Positions after the entry of `cursor`. Returns false for a cursor sd-journal rejects.
    /// When that entry is gone (rotated away), the closest entry after it is read next.
    func seek(cursor: String) -> Bool {
        guard sd_journal_seek_cursor(journal, cursor) >= 0 else { return false }
        let moved = sd_journal_next(journal)
        guard moved > 0 else {
            currentIsUnread = false
            return true
        }
        currentIsUnread = sd_journal_test_cursor(journal, cursor) <= 0
        return true
    }

    /// What one `read` produced.
    struct Batch {
        var stream: EventStream
        /// The cursor of the last entry read, to store once the stream is emitted.
        var cursor: String?
        /// Entries that could not be read and were skipped, with the last reason.
        var skipped = 0
        var lastError: SystemdError?
    }

    /// Reads up to `maxEntries` entries (or about `maxBytes`) after the current position.
    func read(tag: String, mapping: EntryMapping, maxEntries: Int, maxBytes: Int) throws(SystemdError) -> Batch {
        var builder = EventStreamBuilder(tag: tag, capacity: 16 * 1024)
        var batch = Batch(stream: EventStream(tag: tag, entries: [], count: 0))
        var read = 0
        while read < maxEntries, builder.byteCount < maxBytes {
            if currentIsUnread {
                currentIsUnread = false
            } else {
                let moved = sd_journal_next(journal)
                if moved == 0 { break }
                if moved < 0 { throw SystemdError(.read, call: "sd_journal_next", result: moved) }
            }
            read += 1
            do throws(SystemdError) {
                let (time, fields) = try currentEntry()
                var writer = MessagePackWriter(capacity: 512)
                EntryMapping.write(mapping.record(fields), to: &writer)
                builder.append(time: time, encodedRecord: writer.bytes)
            } catch {
                batch.skipped += 1
                batch.lastError = error
            }
            if let cursor = currentCursor() { batch.cursor = cursor }
        }
        batch.stream = builder.build()
        return batch
    }

    /// The current entry's realtime timestamp (the event time, as fluent-plugin-systemd uses it) and fields.
    func currentEntry() throws(SystemdError) -> (EventTime, [(name: String, value: [UInt8])]) {
        var usec: UInt64 = 0
        let rc = sd_journal_get_realtime_usec(journal, &usec)
        guard rc >= 0 else { throw SystemdError(.read, call: "sd_journal_get_realtime_usec", result: rc) }
        let time = EventTime(seconds: UInt32(clamping: usec / 1_000_000), nanoseconds: UInt32(usec % 1_000_000) * 1000)
        var fields: [(name: String, value: [UInt8])] = []
        sd_journal_restart_data(journal)
        while true {
            var data: UnsafeRawPointer?
            var length = 0
            let result = sd_journal_enumerate_data(journal, &data, &length)
            if result == 0 { break }
            guard result > 0, let data else { throw SystemdError(.read, call: "sd_journal_enumerate_data", result: result) }
            let bytes = UnsafeRawBufferPointer(start: data, count: length)
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: bytes[..<equals], as: UTF8.self)
            fields.append((name, Array(bytes[(equals + 1)...])))
        }
        return (time, fields)
    }

    func currentCursor() -> String? {
        var text: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(journal, &text) >= 0, let text else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    /// Blocks until the journal changes or `timeout` (microseconds) passes.
    func wait(microseconds timeout: UInt64) {
        _ = sd_journal_wait(journal, timeout)
    }
}
