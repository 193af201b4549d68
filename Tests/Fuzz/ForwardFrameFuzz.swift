// libFuzzer target: the Forward protocol's frame scanning and message parsing (everything in
// RunnelForward that needs no NIO) must answer any byte stream with frames or a ForwardError,
// never crash, hang or hold more than chunk_size_limit. Built by scripts/fuzz with RunnelCore's
// sources, the frame files and GzipInflater (CZlib), so CompressedPackedForward payloads are
// inflated too.
//
// Input: the first byte is where the stream is split in two reads; the rest is the stream.
// The same stream scanned in one read must give the same frames and the same error: a
// difference means the resumable scanner depends on how TCP cut the bytes.

/// The chunk_size_limit of the fuzzed connection: small, so "too large" paths are reached.
private let fuzzLimit = 16 * 1024
private let fixedNow = EventTime(seconds: 1_700_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwardFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let split = min(Int(data[0]), stream.count)

    let whole = scanStream(stream, reads: [stream.count])
    let cut = scanStream(stream, reads: [split, stream.count - split])
    precondition(whole == cut, "splitting the stream at \(split) changed the frames: \(whole) vs \(cut)")

    for range in whole.frames {
        stream[range].withUnsafeBytes { frame in
            for skip in [false, true] {
                parseFrame(frame, skipInvalidEvents: skip)
            }
        }
    }

    // The same bytes as a PackedForward payload, an option map and a gzip payload.
    stream.withUnsafeBytes { bytes in
        checkPackedEntries(bytes)
        checkOption(bytes)
        if let inflated = try? GzipInflater.inflate(bytes, limit: fuzzLimit) {
            precondition(inflated.count <= fuzzLimit, "inflated \(inflated.count) bytes past the limit \(fuzzLimit)")
        }
    }
    return 0
}

/// What a connection made of a stream: the frames it cut, and how it ended.
private struct ScanOutcome: Equatable, CustomStringConvertible {
    var frames: [Range<Int>] = []
    /// The error's stable reason, or nil when the stream simply ended (maybe mid-frame).
    var failure: String?
    var description: String { "\(frames) \(failure ?? "no error")" }
}

/// Does what ForwardFrameDecoder.nextFrame does over a buffer that grows by `reads`.
private func scanStream(_ stream: [UInt8], reads: [Int]) -> ScanOutcome {
    var outcome = ScanOutcome()
    var scanner = MessagePackFrameScanner(limit: fuzzLimit)
    var start = 0
    var available = 0
    for read in reads {
        available += read
        while start < available {
            let result: Result<Int?, ForwardError> = stream[start..<available].withUnsafeBytes { bytes in
                do throws(ForwardError) {
                    if !scanner.isInsideValue {
                        let first = bytes[0]
                        guard (0x90...0x9f).contains(first) || first == 0xdc || first == 0xdd else {
                            throw ForwardError(.malformedFrame("not an array"))
                        }
                    }
                    switch try scanner.scan(bytes) {
                    case .needMoreData: return .success(nil)
                    case .complete(let length): return .success(length)
                    }
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .failure(let error):
                outcome.failure = error.reason
                return outcome
            case .success(nil):
                precondition(scanner.scanned <= available - start, "scanner claims more bytes than it was given")
                break
            case .success(let length?):
                precondition(length > 0 && length <= fuzzLimit, "frame of \(length) bytes, limit \(fuzzLimit)")
                outcome.frames.append(start..<(start + length))
                start += length
                continue
            }
            break
        }
    }
    return outcome
}

/// Parses one scanned frame; whatever comes out must be a well-formed event stream.
private func parseFrame(_ frame: UnsafeRawBufferPointer, skipInvalidEvents: Bool) {
    let options = ForwardDecodingOptions(chunkSizeLimit: fuzzLimit, skipInvalidEvents: skipInvalidEvents, now: { fixedNow })
    guard case .events(let message)? = try? ForwardFrame.parse(frame, options: options) else { return }
    precondition(message.frameSize == frame.count, "frameSize \(message.frameSize) for a \(frame.count)-byte frame")
    if message.mode == .packedForward || message.mode == .message || message.mode == .forward {
        precondition(message.entries.count <= frame.count + 16 * max(message.count, 1), "entries grew past the frame")
    }
    precondition(message.entries.count <= fuzzLimit + 16 * message.count, "entries past the limit")
    checkEntries(message.entries, count: message.count, mode: message.mode.rawValue)
}

/// Entries handed to the pipeline must validate to the count the message reports, and walk.
private func checkEntries(_ entries: [UInt8], count: Int, mode: String) {
    let validated: Int
    do {
        validated = try EventStream.validateEntries(entries)
    } catch {
        preconditionFailure("\(mode) message entries do not validate: \(error)")
    }
    precondition(validated == count, "\(mode) message says \(count) entries, validation counts \(validated)")
    var walked = 0
    do {
        try EventStream(tag: "fuzz", entries: entries, count: count).forEachEntry { _, reader in
            var json: [UInt8] = []
            try JSONWriter.appendValue(from: &reader, to: &json)
            walked += 1
        }
    } catch {
        preconditionFailure("\(mode) entries validated but do not walk: \(error)")
    }
    precondition(walked == count, "\(mode) message: validated \(count) entries, walked \(walked)")
}

/// PackedForward entry normalization with skip_invalid_event: whatever is kept is in the pipeline's
/// form and walks, and entries already in that form come out unchanged.
private func checkPackedEntries(_ bytes: UnsafeRawBufferPointer) {
    let entries = Array(bytes)
    let options = ForwardDecodingOptions(chunkSizeLimit: 1 << 20, skipInvalidEvents: true, now: { EventTime(seconds: 1) })
    guard let (kept, count, skipped) = try? ForwardFrame.normalizedEntries(of: entries, options: options) else {
        preconditionFailure("normalizing with skip_invalid_event threw")
    }
    precondition(skipped >= 0, "negative skip count")
    checkEntries(kept, count: count, mode: "skip-invalid PackedForward")
    if let all = try? EventStream.validateEntries(entries), all == count {
        precondition(skipped == 0, "valid entries were skipped")
    }
}

/// The option map alone: any map or nil decodes or throws; the size check never traps.
private func checkOption(_ bytes: UnsafeRawBufferPointer) {
    var reader = MessagePackReader(bytes: bytes)
    guard let option = try? ForwardOption(reading: &reader) else { return }
    _ = try? option.check(count: 0)
    _ = try? option.check(count: Int.max)
}
