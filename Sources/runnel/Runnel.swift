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
        // A flush's slice, records and request bodies are megabytes each, allocated and freed per
        // slice: with their own mappings they go back to the system when freed, so peak RSS is
        // what a flush holds, not the heap's high-water mark. MALLOC_MMAP_THRESHOLD_ still decides when set.
        if ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil { _ = runnel_set_mmap_threshold(1 << 20) }
        await RunnelCommand.start()
    }
}
