import RunnelCore

extension ForwardFrame {
    /// Parses one complete top-level value (as found by `MessagePackFrameScanner`).
    ///
    /// Modes are told apart as the spec does, by the type of the second element: an array is
    /// Forward (unless it is a v1.5 `[time, metadata]` time: then Message), a str or bin is
    /// (Compressed)PackedForward, anything else is Message. A 6-element
    /// array that starts with "PING" is the handshake's PING.
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: ForwardDecodingOptions) throws(ForwardError) -> ForwardFrame {
        do {
            var reader = MessagePackReader(bytes: bytes)
            let elements = try reader.readArrayHeader()
            guard (2...6).contains(elements) else {
                throw ForwardError(.malformedFrame("a message is an array of 2 to 4 elements, this one has \(elements)"))
            }
            guard try reader.peekType() == .string else {
                throw ForwardError(.invalidTag(found: (try? reader.peekType())?.description ?? "invalid value"))
            }
            let tag = try reader.readString()
            if elements == 6, tag == "PING" {
                return .ping(try parsePing(&reader))
            }
            var message: ForwardMessage
            switch try reader.peekType() {
            case .array where !(try isV15MessageTime(reader)):
                guard elements <= 3 else { throw ForwardError(.malformedFrame("Forward mode has \(elements) elements")) }
                message = try parseForward(tag: tag, reader: &reader, options: options)
                let option = elements == 3 ? try ForwardOption(reading: &reader) : ForwardOption()
                try option.check(count: message.count)
                message.chunk = option.chunk
            case .string, .binary:
                guard elements <= 3 else { throw ForwardError(.malformedFrame("PackedForward mode has \(elements) elements")) }
                let payload = try reader.readStringOrBinaryRange()
                let option = elements == 3 ? try ForwardOption(reading: &reader) : ForwardOption()
                message = try parsePacked(
                    tag: tag, payload: UnsafeRawBufferPointer(rebasing: bytes[payload]), option: option, options: options)
                try option.check(count: message.count)
                message.chunk = option.chunk
            default:
                guard elements == 3 || elements == 4 else {
                    throw ForwardError(.malformedFrame("Message mode has \(elements) elements"))
                }
                message = try parseMessage(tag: tag, reader: &reader, options: options)
                let option = elements == 4 ? try ForwardOption(reading: &reader) : ForwardOption()
                message.chunk = option.chunk
            }
            guard reader.isAtEnd else { throw ForwardError(.malformedFrame("trailing bytes after the message")) }
            message.frameSize = bytes.count
            return .events(message)
        } catch let error as ForwardError {
            throw error
        } catch let error as MessagePackError {
            throw ForwardError.malformed(error)
        } catch {
            throw ForwardError(.malformedFrame("\(error)"))
        }
    }

    /// A Message-mode event whose time is in the v1.5 `[time, metadata...]` form: an array whose
    /// first element is not an array, where Forward mode's entries are all `[time, record]` arrays.
    static func isV15MessageTime(_ reader: MessagePackReader) throws -> Bool {
        var probe = reader
        guard try probe.readArrayHeader() > 0 else { return false }
        return try probe.peekType() != .array
    }

    static func parsePing(_ reader: inout MessagePackReader) throws -> ForwardPing {
        let hostname = try reader.readString()
        let salt = Array(reader.bytes[try reader.readStringOrBinaryRange()])
        let digest = try reader.readString()
        let username = try reader.readNilIfPresent() ? "" : try reader.readString()
        let password = try reader.readNilIfPresent() ? "" : try reader.readString()
        return ForwardPing(hostname: hostname, sharedKeySalt: salt, sharedKeyDigest: digest, username: username, passwordDigest: password)
    }

    /// `[tag, time, record(, option)]`: re-packed into one entry; a nil record is no event (Fluentd skips it),
    /// and so is an invalid one under `skip_invalid_event`.
    static func parseMessage(tag: String, reader: inout MessagePackReader, options: ForwardDecodingOptions) throws -> ForwardMessage {
        var writer = MessagePackWriter(capacity: 64)
        let start = reader.offset
        do {
            let count = try appendEntry(&reader, to: &writer, options: options) ? 1 : 0
            return ForwardMessage(mode: .message, tag: tag, entries: writer.bytes, count: count)
        } catch is ForwardError where options.skipInvalidEvents {
            // Fluentd drops the event and still answers the ack (in_forward.rb on_message): the
            // client would only send the same invalid event again.
            reader.offset = start
            try reader.skipValue()
            try reader.skipValue()
            return ForwardMessage(mode: .message, tag: tag, entries: [], count: 0, skipped: 1)
        }
    }

    /// `[tag, [[time, record], ...](, option)]`: each entry re-packed with an EventTime.
    static func parseForward(tag: String, reader: inout MessagePackReader, options: ForwardDecodingOptions) throws -> ForwardMessage {
        let entries = try reader.readArrayHeader()
        var writer = MessagePackWriter(capacity: min(reader.remaining, options.chunkSizeLimit) + 16)
        let (count, skipped) = try appendEntries(from: &reader, limit: entries, to: &writer, options: options)
        return ForwardMessage(mode: .forward, tag: tag, entries: writer.bytes, count: count, skipped: skipped)
    }

    /// Reads a time and a record and appends `[EventTime, record]`; returns false for a nil record.
    static func appendEntry(
        _ timeReader: inout MessagePackReader, to writer: inout MessagePackWriter, options: ForwardDecodingOptions
    ) throws -> Bool {
        var time = try readEntryTime(&timeReader, options: options)
        if time.seconds == 0 && time.nanoseconds == 0 { time = options.now() }
        if try timeReader.readNilIfPresent() { return false }
        guard try timeReader.peekType() == .map else {
            throw ForwardError(.invalidEntries("record is a \(try timeReader.peekType()), not a map"))
        }
        let record = try timeReader.skipValueRange()
        writer.writeArrayHeader(count: 2)
        writer.write(time)
        writer.writeRaw(UnsafeRawBufferPointer(rebasing: timeReader.bytes[record]))
        return true
    }

    /// An entry's time part. Forward protocol v1.5 allows `time ::= EventTime | integer | [EventTime, metadata]`
    /// (Fluent Bit 5 sends `[EventTime, {}]` by default; Fluentd's in_forward takes `time[0]` since v1.19).
    /// The metadata maps are checked and left behind: the pipeline's entries are `[time, record]`.
    /// A nil time is the time of arrival, as Fluentd gives it.
    static func readEntryTime(_ reader: inout MessagePackReader, options: ForwardDecodingOptions) throws -> EventTime {
        var metadataMaps = 0
        if try reader.peekType() == .array {
            let elements = try reader.readArrayHeader()
            guard elements >= 1 else { throw ForwardError(.invalidEntries("time is an empty [time, metadata] array")) }
            metadataMaps = elements - 1
        }
        let time: EventTime
        if try reader.readNilIfPresent() {
            time = options.now()
        } else {
            do { time = try reader.readEventTime() } catch let error as MessagePackError where !error.needsMoreInput {
                throw ForwardError(.invalidEntries("time is not an EventTime, integer, float or [time, metadata]"))
            }
        }
        for _ in 0..<metadataMaps {
            guard try reader.peekType() == .map else {
                throw ForwardError(.invalidEntries("event metadata is a \(try reader.peekType()), not a map"))
            }
            try reader.skipValue()
        }
        return time
    }

    /// Entries in any form a client may send (v1.5 `[time, metadata]` times, nil or 0 times, nil records)
    /// rewritten as `[EventTime, record]`, for PackedForward payloads that are not in that form already.
    static func normalizedEntries(
        of entries: [UInt8], options: ForwardDecodingOptions
    ) throws -> (entries: [UInt8], count: Int, skipped: Int) {
        try MessagePackReader.withReader(entries) { reader in
            var writer = MessagePackWriter(capacity: entries.count + 16)
            let (count, skipped) = try appendEntries(from: &reader, limit: nil, to: &writer, options: options)
            return (writer.bytes, count, skipped)
        }
    }

    /// Appends `limit` entries (or every entry up to the end) as `[EventTime, record]`. An invalid
    /// entry is skipped and counted under `skip_invalid_event`, else it rejects the message; bytes
    /// that are not MessagePack end a walk to the end (nothing after them can be found).
    static func appendEntries(
        from reader: inout MessagePackReader, limit: Int?, to writer: inout MessagePackWriter,
        options: ForwardDecodingOptions
    ) throws -> (count: Int, skipped: Int) {
        var count = 0
        var skipped = 0
        var seen = 0
        while limit.map({ seen < $0 }) ?? !reader.isAtEnd {
            seen += 1
            let start = reader.offset
            let mark = writer.bytes.count
            do {
                guard try reader.readArrayHeader() == 2 else {
                    throw ForwardError(.invalidEntries("an entry is not [time, record]"))
                }
                if try appendEntry(&reader, to: &writer, options: options) { count += 1 }
            } catch {
                writer.bytes.removeSubrange(mark...)
                let truncated = (error as? MessagePackError)?.needsMoreInput ?? false
                guard options.skipInvalidEvents, !truncated || limit == nil else {
                    if limit == nil, let error = error as? MessagePackError {
                        throw ForwardError(.invalidEntries(error.description))
                    }
                    throw error
                }
                reader.offset = start
                skipped += 1
                do { try reader.skipValue() } catch {
                    if limit != nil { throw error }
                    break
                }
            }
        }
        return (count, skipped)
    }
}
