#ifndef RUNNEL_CMALLOC_H
#define RUNNEL_CMALLOC_H

#if defined(__linux__)
#include <malloc.h>
#endif

/// Caps glibc's malloc arenas (one per allocating thread by default, up to 8 per core).
/// Returns 1 when the cap was set, 0 where there is nothing to cap.
static inline int runnel_limit_malloc_arenas(int count) {
#if defined(M_ARENA_MAX)
    return mallopt(M_ARENA_MAX, count);
#else
    (void)count;
    return 0;
#endif
}

/// Makes glibc serve allocations of `bytes` and more with their own mappings, returned to the
/// system when freed (glibc otherwise raises this threshold after the first such free, up to
/// 32 MiB, and keeps freed flush buffers in its heap). Returns 1 when set.
static inline int runnel_set_mmap_threshold(int bytes) {
#if defined(M_MMAP_THRESHOLD)
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

#endif
