/*
 * rt/alloc.h: the one door to weft's allocator (DESIGN 8).
 *
 * weft calls jemalloc explicitly (mallocx/sdallocx), so it does not take over
 * the process's malloc and never interposes the user's allocator. Memory from
 * here is freed only with weft__free, never with free(). Sanitizer builds map
 * both to malloc/free so ASan and TSan see every allocation.
 */
#ifndef WEFT_RT_ALLOC_H
#define WEFT_RT_ALLOC_H

#include <stddef.h>

/* Returns NULL when out of memory. Any thread. */
void *weft__alloc(size_t size);
void *weft__calloc(size_t size);
/* size must be the size given at allocation (sized deallocation). */
void weft__free(void *p, size_t size);
/* Grows or shrinks; NULL on failure (p is then untouched). */
void *weft__realloc(void *p, size_t old_size, size_t new_size);

/* Task objects: from an arena of their own whose memory is mapped in
 * 2 MiB-aligned runs marked MADV_HUGEPAGE (rt/alloc.c says why). Freed
 * only with weft__free_task. Any thread. */
void *weft__alloc_task(size_t size);
void weft__free_task(void *p, size_t size);
/* The arena's index, or -1 if it could not be made (task objects then come
 * from the default arenas); for tests. */
int weft__task_arena(void);

#endif /* WEFT_RT_ALLOC_H */
