import CMalloc
import Foundation
import RunnelApp

@main
struct Runnel {
    static func main() async {
        // glibc gives each allocating thread its own arena (up to 8 per core), each keeping freed
        // memory for reuse. Two arenas lowered peak RSS in scripts/bench's forward-file scenario
        // from 64.6-66.1 to 61-62 MiB, for 1.62-1.67 -> 1.77-1.93 CPU seconds per million events
        // (more contention on the arena locks). MALLOC_ARENA_MAX in the environment still decides
        // when set, to trade the memory back for the CPU.
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = runnel_limit_malloc_arenas(2) }
        await RunnelCommand.start()
    }
}
