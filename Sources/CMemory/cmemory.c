#include "cmemory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ferry_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // Arrays up to 32 MiB come from the heap (not fresh mappings), and up to 128 MiB freed at the top of the heap
    // stays: a CDC batch (a few hundred thousand rows) is freed and the next one allocated right after; giving the
    // pages back in between made the stream thread spend a sixth of its time faulting them in again, zeroed.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}
