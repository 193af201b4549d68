import CMalloc
import Foundation
import RunnelApp

@main
struct Runnel {
    static func main() async {
        // glibc gives each allocating thread its own arena (up to 8 per core), each keeping freed
        // memory for reuse. A forwarder's allocations are short-lived buffers: two arenas lowered
        // peak RSS (63-67 -> 61 MiB) and CPU (1.72 -> 1.55 s per million events) in scripts/bench's
        // forward-file scenario. MALLOC_ARENA_MAX in the environment still decides when set.
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = runnel_limit_malloc_arenas(2) }
        await RunnelCommand.start()
    }
}
