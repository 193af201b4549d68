// libFuzzer target: the MessagePack reader and event-stream validation must reject any input
// with an error, never crash, hang or over-allocate. Built by scripts/fuzz with RunnelCore's sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessagePack(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? MessagePackValue(decoding: bytes) {
        // Whatever decodes must re-encode and decode to the same value, and format as JSON.
        let again = try? MessagePackValue(decoding: value.encoded)
        precondition(again == value, "re-encoding changed the value")
        _ = JSONWriter.string(value)
    }
    if let count = try? EventStream.validateEntries(bytes) {
        var seen = 0
        try? EventStream(tag: "fuzz", entries: bytes, count: count).forEachEntry { _, reader in
            var json: [UInt8] = []
            try JSONWriter.appendValue(from: &reader, to: &json)
            seen += 1
        }
        precondition(seen == count, "validated \(count) entries but walked \(seen)")
    }
    return 0
}
