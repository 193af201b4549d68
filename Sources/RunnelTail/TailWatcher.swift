import Logging
import RunnelCore
import RunnelParsers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Follows one path: carries out what its `TailFileStateMachine` decides, reads lines with
/// `pread`, parses them and returns batches. Every method does blocking file I/O and runs on
/// NIO's thread pool.
///
/// @unchecked Sendable: a watcher is used by one job at a time: `TailInputPlugin` awaits each
/// thread-pool job on it before it starts the next, so its state is never touched concurrently.
final class TailWatcher: @unchecked Sendable {
    struct PollResult {
        var streams: [EventStream] = []
        /// Position of the current file to record once the streams are emitted.
        var checkpoint: (identity: FileIdentity, offset: UInt64)?
        /// More is ready to read now (the batch stopped at `read_lines_limit`).
        var more = false
        var unwatched = false
    }

    let path: String
    let tag: String
    let configuration: TailInputConfiguration
    var machine: TailFileStateMachine
    var parser: any LineParser
    var descriptors: [FileIdentity: Int32] = [:]
    let logger: Logger
    let unmatched: LogRateLimiter
    var buffer: [UInt8]
    var lastLineTime: Double = 0
    /// Since when the file's unterminated last line has been waiting (multiline_flush_interval).
    var partialSince: Double?
    var bytesThisSecond = 0
    var currentSecond = 0.0
    var skippingLongLine = false
    let counters: TailFileCounters

    init(
        path: String, start: TailFileStateMachine.Start, configuration: TailInputConfiguration,
        parser: any LineParser, logger: Logger, unmatched: LogRateLimiter, counters: TailFileCounters = TailFileCounters()
    ) {
        self.path = path
        self.tag = configuration.tag(for: path)
        self.configuration = configuration
        self.machine = TailFileStateMachine(start: start, rotateWait: configuration.rotateWait)
        self.parser = parser
        var logger = logger
        logger[metadataKey: "tail.path"] = "\(path)"
        self.logger = logger
        self.unmatched = unmatched
        self.counters = counters
        self.buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    deinit { closeAll() }

    func closeAll() {
        for fd in descriptors.values { close(fd) }
        descriptors.removeAll()
    }

    var openIdentities: [FileIdentity] { machine.openIdentities }

    /// Looks at the path and reads what is new, at most `read_lines_limit` lines.
    func poll(now: Double, eventTime: EventTime) -> PollResult {
        var result = PollResult()
        var output = ParserOutput(capacity: 1 << 16)
        var sizes: [FileIdentity: UInt64] = [:]
        for (identity, fd) in descriptors { sizes[identity] = FileStatus.of(descriptor: fd)?.size }
        let actions = machine.observe(path: FileStatus.of(path: path), openSizes: sizes, now: now)
        var linesLeft = configuration.readLinesLimit
        actions: for action in actions {
            switch action {
            case .open(let identity, _):
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 || FileStatus.of(descriptor: fd)?.identity != identity {
                    // Rotated again between stat and open: the next poll looks afresh. Lines already
                    // read from rotated files in this poll are still handed on below.
                    if fd >= 0 { close(fd) }
                    machine.didFailToOpen(identity)
                    break actions
                }
                if !descriptors.isEmpty { counters.count(.rotated) }
                if let stale = descriptors.updateValue(fd, forKey: identity) { close(stale) }
                counters.count(.opened)
            case .read(let identity):
                let (checkpoint, more) = read(identity, now: now, eventTime: eventTime, linesLeft: &linesLeft, into: &output)
                if let checkpoint { result.checkpoint = checkpoint }
                result.more = result.more || more
            case .close(let identity):
                // rotate_wait is over: read the rest, however many lines, then close.
                var unlimited = Int.max
                while read(identity, now: now, eventTime: eventTime, linesLeft: &unlimited, into: &output).1 {}
                flushUnterminated(identity, eventTime: eventTime, into: &output)
                machine.didClose(identity)
                if let fd = descriptors.removeValue(forKey: identity) {
                    close(fd)
                    counters.count(.closed)
                }
            case .checkpoint(let identity, let offset):
                result.checkpoint = (identity, offset)
            case .unwatch:
                parser.flush(now: eventTime, into: &output)
                result.unwatched = true
            }
        }
        if let interval = configuration.multilineFlushInterval, parser.isHolding, now - lastLineTime >= interval {
            parser.flush(now: eventTime, into: &output)
        }
        if output.count > 0 { result.streams.append(finish(&output)) }
        return result
    }

    /// Emits whatever the parser holds (shutdown).
    func flushParser(eventTime: EventTime) -> EventStream? {
        var output = ParserOutput()
        parser.flush(now: eventTime, into: &output)
        return output.count > 0 ? finish(&output) : nil
    }

    func finish(_ output: inout ParserOutput) -> EventStream {
        let stream = output.take(tag: tag)
        guard let pathKey = configuration.pathKey else { return stream }
        // in_tail.rb: `record[@path_key] ||= tail_watcher.path`, so a record's own field stays.
        return stream.settingFields([(pathKey, .string(path))], merge: .unlessSet)
    }

    /// Reads lines of an open file from its offset; returns the new checkpoint (current file) and whether more is ready.
    func read(
        _ identity: FileIdentity, now: Double, eventTime: EventTime, linesLeft: inout Int,
        into output: inout ParserOutput
    ) -> ((FileIdentity, UInt64)?, Bool) {
        guard let fd = descriptors[identity], var offset = machine.offset(of: identity) else { return (nil, false) }
        // The batch is full: whatever is left is ready for the next poll, which must come at once.
        guard linesLeft > 0 else { return (nil, (FileStatus.of(descriptor: fd)?.size ?? 0) > offset) }
        var checkpoint: (FileIdentity, UInt64)?
        var more = false
        if now >= currentSecond + 1 {
            currentSecond = now
            bytesThisSecond = 0
        }
        let limit = configuration.readBytesLimitPerSecond
        var throttled = false
        defer { if throttled { counters.count(.throttled) } }
        reading: while linesLeft > 0 {
            var want = buffer.count
            if limit > 0 {
                want = min(want, limit - bytesThisSecond)
                if want <= 0 {
                    throttled = true
                    break
                }
            }
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            if n <= 0 { break }
            var consumed = 0
            let stop: Bool = buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                var start = 0
                while linesLeft > 0 {
                    guard let newline = memchr(chunk.baseAddress! + start, 0x0a, n - start) else { break }
                    let end = chunk.baseAddress!.distance(to: UnsafeRawPointer(newline))
                    var lineEnd = end
                    if lineEnd > start, chunk[lineEnd - 1] == 0x0d { lineEnd -= 1 }
                    handleLine(UnsafeRawBufferPointer(rebasing: chunk[start..<lineEnd]), eventTime: eventTime, into: &output)
                    start = end + 1
                    linesLeft -= 1
                }
                consumed = start
                // A line longer than the whole buffer (or max_line_size) without a newline yet.
                let pending = n - start
                if start == 0, pending == buffer.count || (configuration.maxLineSize.map { pending > $0 } ?? false) {
                    skippingLongLine = true
                    consumed = n
                    unmatched.warn(logger, "in_tail: line longer than max_line_size (or 1 MiB buffer) skipped", now: now)
                }
                return n < want || linesLeft == 0
            }
            bytesThisSecond += consumed
            if consumed > 0 {
                offset += UInt64(consumed)
                if let c = machine.didRead(identity, to: offset).first, case .checkpoint(let id, let o) = c { checkpoint = (id, o) }
                lastLineTime = now
            }
            if linesLeft == 0 { more = true; break reading }
            // What this second still allows is not a whole line: read_bytes_limit_per_second holds the rest.
            if consumed == 0, !stop, limit > 0, want < buffer.count { throttled = true }
            if stop || consumed == 0 { break }
        }
        // An unterminated last line waits for its newline, or for multiline_flush_interval.
        if let size = FileStatus.of(descriptor: fd)?.size, size > offset, !more {
            if partialSince == nil { partialSince = now }
            if let interval = configuration.multilineFlushInterval, let since = partialSince, now - since >= interval {
                let end = flushUnterminated(identity, eventTime: eventTime, into: &output)
                if let end, let c = machine.didRead(identity, to: end).first, case .checkpoint(let id, let o) = c {
                    checkpoint = (id, o)
                }
            }
        } else {
            partialSince = nil
        }
        return (checkpoint, more)
    }

    /// Emits the bytes after the last newline as a line; returns the offset after them.
    @discardableResult
    func flushUnterminated(_ identity: FileIdentity, eventTime: EventTime, into output: inout ParserOutput) -> UInt64? {
        guard let fd = descriptors[identity], let offset = machine.offset(of: identity),
            let size = FileStatus.of(descriptor: fd)?.size, size > offset
        else { return nil }
        let count = min(Int(size - offset), buffer.count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard n > 0 else { return nil }
        buffer.withUnsafeBytes { raw in
            handleLine(UnsafeRawBufferPointer(rebasing: raw[0..<n]), eventTime: eventTime, into: &output)
        }
        partialSince = nil
        return offset + UInt64(n)
    }

    func handleLine(_ line: UnsafeRawBufferPointer, eventTime: EventTime, into output: inout ParserOutput) {
        if skippingLongLine {
            skippingLongLine = false
            return
        }
        if let max = configuration.maxLineSize, line.count > max {
            unmatched.warn(
                logger, "in_tail: line longer than max_line_size skipped", metadata: ["tail.line_size": "\(line.count)"],
                now: eventTime.timeInterval)
            return
        }
        if configuration.fromEncoding == .latin1, line.contains(where: { $0 >= 0x80 }) {
            var utf8: [UInt8] = []
            utf8.reserveCapacity(line.count * 2)
            for b in line {
                if b < 0x80 { utf8.append(b) } else { utf8.append(0xc0 | b >> 6); utf8.append(0x80 | b & 0x3f) }
            }
            utf8.withUnsafeBytes { parseLine($0, eventTime: eventTime, into: &output) }
            return
        }
        parseLine(line, eventTime: eventTime, into: &output)
    }

    @inline(__always)
    func parseLine(_ line: UnsafeRawBufferPointer, eventTime: EventTime, into output: inout ParserOutput) {
        if parser.parse(line, now: eventTime, into: &output) == .unmatched {
            if configuration.emitUnmatchedLines {
                output.append(time: eventTime, fields: [("unmatched_line", .string(String(decoding: line, as: UTF8.self)))])
            } else {
                unmatched.warn(
                    logger, "in_tail: pattern not matched", metadata: ["tail.line": "\(String(decoding: line.prefix(200), as: UTF8.self))"],
                    now: eventTime.timeInterval)
            }
        }
    }
}
