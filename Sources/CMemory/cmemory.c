#include "cmemory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ferry_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // Arrays up to 32 MiB come from the heap (not fresh mappings), and up to 64 MiB freed at the top of the heap stays.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
