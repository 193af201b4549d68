import RunnelCore

extension ForwardFrame {
    /// Parses one complete top-level value (as found by `MessagePackFrameScanner`).
    ///
    /// Modes are told apart as the spec does, by the type of the second element: an array is
    /// Forward, a str or bin is (Compressed)PackedForward, anything else is Message. A 6-element
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
            case .array:
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

    static func parsePing(_ reader: inout MessagePackReader) throws -> ForwardPing {
        let hostname = try reader.readString()
        let salt = Array(reader.bytes[try reader.readStringOrBinaryRange()])
        let digest = try reader.readString()
        let username = try reader.readNilIfPresent() ? "" : try reader.readString()
        let password = try reader.readNilIfPresent() ? "" : try reader.readString()
        return ForwardPing(hostname: hostname, sharedKeySalt: salt, sharedKeyDigest: digest, username: username, passwordDigest: password)
    }

    /// `[tag, time, record(, option)]`: re-packed into one entry; a nil record is no event (Fluentd skips it).
    static func parseMessage(tag: String, reader: inout MessagePackReader, options: ForwardDecodingOptions) throws -> ForwardMessage {
        var writer = MessagePackWriter(capacity: 64)
        let count = try appendEntry(&reader, to: &writer, options: options) ? 1 : 0
        return ForwardMessage(mode: .message, tag: tag, entries: writer.bytes, count: count)
    }

    /// `[tag, [[time, record], ...](, option)]`: each entry re-packed with an EventTime.
    static func parseForward(tag: String, reader: inout MessagePackReader, options: ForwardDecodingOptions) throws -> ForwardMessage {
        let entries = try reader.readArrayHeader()
        var writer = MessagePackWriter(capacity: min(reader.remaining, options.chunkSizeLimit) + 16)
        var count = 0
        var skipped = 0
        for _ in 0..<entries {
            let entryStart = reader.offset
            do {
                guard try reader.readArrayHeader() == 2 else { throw ForwardError(.invalidEntries("an entry is not [time, record]")) }
                let mark = writer.bytes.count
                do {
                    if try appendEntry(&reader, to: &writer, options: options) { count += 1 }
                } catch {
                    writer.bytes.removeSubrange(mark...)
                    throw error
                }
            } catch let error where options.skipInvalidEvents && !((error as? MessagePackError)?.needsMoreInput ?? false) {
                reader.offset = entryStart
                try reader.skipValue()
                skipped += 1
            }
        }
        return ForwardMessage(mode: .forward, tag: tag, entries: writer.bytes, count: count, skipped: skipped)
    }

    /// Reads a time and a record and appends `[EventTime, record]`; returns false for a nil record.
    static func appendEntry(
        _ timeReader: inout MessagePackReader, to writer: inout MessagePackWriter, options: ForwardDecodingOptions
    ) throws -> Bool {
        var time: EventTime
        if try timeReader.readNilIfPresent() {
            time = options.now()
        } else {
            do { time = try timeReader.readEventTime() } catch let error as MessagePackError where !error.needsMoreInput {
                throw ForwardError(.invalidEntries("time is not an EventTime, integer or float"))
            }
            if time.seconds == 0 && time.nanoseconds == 0 { time = options.now() }
        }
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
}
