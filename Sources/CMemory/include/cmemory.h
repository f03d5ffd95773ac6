#ifndef FERRY_CMEMORY_H
#define FERRY_CMEMORY_H

/// Tells glibc's allocator to keep freed memory for reuse instead of returning it to the kernel (a no-op elsewhere).
void ferry_keep_freed_memory(void);

#endif
