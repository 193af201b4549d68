// libFuzzer target: the classic configuration parser must answer any text with a tree or a
// ConfigError, never crash or hang. Built by scripts/fuzz with RunnelCore's and RunnelConfig's
// sources (the YAML loader, which needs Yams, is left out).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let context = try ConfigParseContext(environment: ["HOME": "/nonexistent", "X": "y"], hostname: "fuzz")
            .entering("/nonexistent/fuzz.conf", from: nil)
        var parser = ClassicConfigParser(text: text, file: "/nonexistent/fuzz.conf", context: context)
        let root = try parser.parseRoot()
        _ = root.dump()
    } catch is ConfigError {
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
